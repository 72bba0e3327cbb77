/**
 * A client built for another server's persisted documents (graphql-codegen's client preset,
 * Relay) sends its operation's id as documentId or doc_id: it is told the shape this gateway
 * takes a persisted operation in, also when only persisted operations run, where it was told it
 * sent no query or that its operation was not persisted.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createRequestPolicy, type OperationLimits } from "../src/security/request-policy.js";
import type { CallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { loadPersistedOperations, operationId } from "../src/security/persisted-operations.js";
import { refusal } from "./support/policy-refusal.js";

const CALLER = { key: "user:caller", network: "ip:192.0.2.1", site: undefined };
const limits: OperationLimits = { maxDepth: 12, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 10, maxTokens: 2_000, maxBatchSize: 5 };
const dir = mkdtempSync(path.join(tmpdir(), "persisted-id-key-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const shipped = "query ProductName($id: ID!) { product(id: $id) { name } }";
const manifestPath = path.join(dir, "manifest.json");
writeFileSync(manifestPath, JSON.stringify({ [operationId(shipped)]: shipped }));

function persistedOnlyPolicy() {
  return createRequestPolicy({
    limits,
    rateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    networkRateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    budgets: { charge: async () => ({ giveBack: async () => {} }) },
    persisted: loadPersistedOperations(manifestPath, true),
  });
}

describe("a persisted operation's id sent under another server's key", () => {
  it("is told the extension this gateway reads, under PERSISTED_OPERATIONS_ONLY too, and the extension then runs it", async () => {
    const gate = persistedOnlyPolicy();
    const sha256Hash = operationId(shipped);
    for (const [key, transport] of [["documentId", "http-post"], ["doc_id", "http-get"], ["documentId", "websocket"]] as const) {
      const refused = await refusal(gate.admit([{ [key]: sha256Hash, variables: { id: "prod_0000001" } }], CALLER, transport));
      assert.equal(refused.code, "BAD_USER_INPUT");
      assert.match(refused.message, new RegExp(`has no query(: .*)?\\. It names its operation by "${key}", which this gateway does not read: send a persisted operation's SHA-256`));
      assert.match(refused.message, /\{"extensions": \{"persistedQuery": \{"version": 1, "sha256Hash": "…"\}\}\}/);
    }
    const [admitted] = await gate.admit([{ extensions: { persistedQuery: { version: 1, sha256Hash } }, variables: { id: "prod_0000001" } }], CALLER, "http-post");
    assert.equal(admitted!.query, shipped);
    // Without such a key, the allow-list's own refusal stands.
    assert.equal((await refusal(gate.admit([{ variables: {} }], CALLER, "http-post"))).code, "OPERATION_NOT_ALLOWED");
  });
});
