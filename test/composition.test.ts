import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { composeSupergraph } from "../schema/compose-supergraph.js";
import { SUPERGRAPH_PATH } from "../schema/subgraphs.js";

test("the subgraphs compose without errors", () => {
  const result = composeSupergraph();
  assert.ok(!("errors" in result), "errors" in result ? result.errors.join("\n") : "");
});

test("the checked-in supergraph matches the subgraphs' SDL (run npm run compose when this fails)", () => {
  const result = composeSupergraph();
  assert.ok("supergraphSdl" in result);
  // A message, not a diff of the whole supergraph's text.
  assert.ok(readFileSync(SUPERGRAPH_PATH, "utf8") === result.supergraphSdl, `${SUPERGRAPH_PATH} is stale: run npm run compose`);
});
