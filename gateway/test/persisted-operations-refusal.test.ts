/**
 * What a client developer is told when the gateway runs only persisted operations and theirs
 * is not among them (an operation edited by one field since the manifest was built): the code,
 * that the exact text counts, and how an operation gets into the manifest.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { loadPersistedOperations, operationId } from "../src/security/persisted-operations.js";

const dir = mkdtempSync(path.join(tmpdir(), "persisted-refusal-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const shipped = "query ProductName($id: ID!) { product(id: $id) { name } }";
const manifestPath = path.join(dir, "manifest.json");
writeFileSync(manifestPath, JSON.stringify({ [operationId(shipped)]: shipped }));

test("an operation edited since the manifest was built is refused OPERATION_NOT_ALLOWED with what to do next", () => {
  const check = loadPersistedOperations(manifestPath, true);
  assert.deepEqual(check({ query: shipped }), { ok: true });
  for (const edited of ["query ProductName($id: ID!) { product(id: $id) { name price { amount } } }", shipped.replace("{ name }", "{  name }")]) {
    const refused = check({ query: edited });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok);
    assert.equal(refused.code, "OPERATION_NOT_ALLOWED");
    assert.match(refused.message, /PERSISTED_OPERATIONS_ONLY/, "names the setting that refuses it");
    assert.match(refused.message, /exact text/, "says a changed space counts");
    assert.match(refused.message, /npm run build:operations/, "says how an operation gets in");
  }
});
