// Writes the persisted-operation manifest from schema/operations/*.graphql
// (`npm run build:operations`); the test suite fails when it is stale.
import { writeFileSync } from "node:fs";
import { persistedManifest, PERSISTED_MANIFEST_PATH } from "../schema/golden-operations.js";

writeFileSync(PERSISTED_MANIFEST_PATH, persistedManifest());
console.log(`Wrote ${PERSISTED_MANIFEST_PATH}`);
