// Validation walks every operation and fragment of a document, not only the one a request runs,
// and compares same-named fields pairwise: an operation left unchosen (or a fragment nothing
// spreads) selecting `id` 900 times was validated at no limit, 8-10 ms of CPU a request, where
// the same selection in the chosen operation is refused by the policy at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRequestPolicy, type OperationLimits } from "../src/security/request-policy.js";
import type { CallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { refusal } from "./support/policy-refusal.js";

const CALLER = { key: "user:caller", network: "ip:192.0.2.1", site: undefined };
const limits: OperationLimits = { maxDepth: 6, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 20, maxTokens: 2_000, maxBatchSize: 5 };

function policy() {
  return createRequestPolicy({
    limits,
    rateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    networkRateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    budgets: { charge: async () => undefined },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
  });
}

const ids = (n: number) => "id ".repeat(n);
const aliased = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(" ");

describe("request policy: the whole document is held to the depth, alias and repeat limits", () => {
  const cases: [string, { query: string; operationName?: string }, string][] = [
    ["an unchosen operation repeating a field", { query: `query A { __typename } query B { product(id: "p") { ${ids(900)}} }`, operationName: "A" }, "repeats"],
    ["a fragment nothing spreads", { query: `query A { __typename } fragment F on Query { product(id: "p") { ${ids(900)}} }` }, "repeats"],
    ["a fragment only an unchosen operation spreads", { query: `query A { __typename } query B { ...F } fragment F on Query { product(id: "p") { ${ids(900)}} }`, operationName: "A" }, "repeats"],
    ["an unchosen operation of many aliases", { query: `query A { __typename } query B { ${aliased(31)} }`, operationName: "A" }, "aliases"],
    ["an unchosen operation nested too deep", { query: `query A { __typename } query B { a { b { c { d { e { f { g } } } } } } }`, operationName: "A" }, "depth"],
  ];
  for (const [name, request, limit] of cases) {
    it(`refuses ${name} (QUERY_TOO_COMPLEX, naming the ${limit})`, async () => {
      const refused = await refusal(policy().admit([request], CALLER, "http-post"));
      assert.equal(refused.code, "QUERY_TOO_COMPLEX");
      assert.ok((refused.extensions[limit] as number) > (refused.extensions.limit as number), refused.message);
      assert.match(refused.message, /an operation or fragment the request does not run/);
    });
  }

  it("admits a document of several operations and shared fragments within the limits, and a spread cycle anywhere is a validation error", async () => {
    const query = `query A { ...F } query B { product(id: "p") { ...P } } fragment F on Query { __typename } fragment P on Product { id name }`;
    const [admitted] = await policy().admit([{ query, operationName: "B" }], CALLER, "http-post");
    assert.equal(admitted!.operationName, "B");
    const cycle = await refusal(policy().admit([{ query: `query A { __typename } fragment X on Query { ...Y } fragment Y on Query { ...X }` }], CALLER, "http-post"));
    assert.equal(cycle.code, "GRAPHQL_VALIDATION_FAILED");
  });
});
