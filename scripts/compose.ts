// Rewrites schema/supergraph.graphql from the subgraphs' SDL (`npm run compose`), or with
// --check fails when the checked-in file is stale.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { composeSupergraph } from "../schema/compose-supergraph.js";
import { SUPERGRAPH_PATH } from "../schema/subgraphs.js";

const result = composeSupergraph();
if ("errors" in result) {
  console.error("Composition failed:\n- " + result.errors.join("\n- "));
  process.exit(1);
}
if (process.argv.includes("--check")) {
  const current = existsSync(SUPERGRAPH_PATH) ? readFileSync(SUPERGRAPH_PATH, "utf8") : "";
  if (current !== result.supergraphSdl) {
    console.error(`${SUPERGRAPH_PATH} is stale: run npm run compose`);
    process.exit(1);
  }
  console.log(`${SUPERGRAPH_PATH} is up to date`);
} else {
  writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
  console.log(`Wrote ${SUPERGRAPH_PATH}`);
}
