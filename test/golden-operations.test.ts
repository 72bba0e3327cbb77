// The operations client apps ship with must stay valid against the supergraph's public API:
// a schema change that would break them fails here, before it reaches a client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse, validate } from "graphql";
import { Supergraph } from "@apollo/federation-internals";
import { SUPERGRAPH_PATH } from "../schema/subgraphs.js";
import { persistedManifest, PERSISTED_MANIFEST_PATH, readGoldenOperations, readReleasedOperations } from "../schema/golden-operations.js";

const apiSchema = Supergraph.build(readFileSync(SUPERGRAPH_PATH, "utf8")).apiSchema().toGraphQLJSSchema();

for (const { name, query } of readGoldenOperations()) {
  test(`golden operation ${name} is valid against the public API`, () => {
    const document = parse(query);
    assert.deepEqual(validate(apiSchema, document).map((e) => e.message), []);
    const operation = document.definitions[0];
    assert.equal(operation?.kind === "OperationDefinition" ? operation.name?.value : undefined, name, "the file is named after its operation");
  });
}

// Installed apps still send these until they update.
for (const { name, query } of readReleasedOperations()) {
  test(`released operation ${name} (as an older client sends it) is valid against the public API`, () => {
    const document = parse(query);
    assert.deepEqual(validate(apiSchema, document).map((e) => e.message), []);
    const operation = document.definitions[0];
    assert.equal(operation?.kind === "OperationDefinition" ? operation.name?.value : undefined, name, "the file is named after its operation");
  });
}

test("the persisted-operation manifest matches the golden operations (npm run build:operations)", () => {
  assert.equal(readFileSync(PERSISTED_MANIFEST_PATH, "utf8"), persistedManifest());
});
