import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRequestPolicy, PolicyRefusal, type OperationLimits } from "../src/security/request-policy.js";
import { createCallerRateLimiter, type CallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";

const limits: OperationLimits = { maxDepth: 12, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 10, maxTokens: 2_000, maxBatchSize: 10 };
const allowAll = (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter;

/** A policy whose only budget is cost: `perMinute` per caller, ten times that per network. */
function policyWithCostBudget(perMinute: number) {
  return createRequestPolicy({
    limits,
    rateLimit: allowAll,
    networkRateLimit: allowAll,
    costRateLimit: {
      perMinute,
      perCaller: createCallerRateLimiter({ pointsPerMinute: perMinute }),
      perNetwork: createCallerRateLimiter({ pointsPerMinute: perMinute * 10 }),
    },
    budgets: { charge: async () => undefined },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
  });
}

/** An operation measured at exactly `cost`: a page of `cost - 1` ids. */
const costing = (cost: number) => ({ query: `{ products(first: ${cost - 1}) { id } }` });

async function refusal(work: Promise<unknown>): Promise<PolicyRefusal> {
  const error = await work.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PolicyRefusal, String(error));
  return error;
}

describe("cost budget: what a caller spends a minute, not how many operations", () => {
  const alice = { key: "user:alice", network: "ip:192.0.2.1" };

  it("refuses RATE_LIMITED with retryAfterSeconds once a caller's operations have spent the minute's cost, whatever their count", async () => {
    const policy = policyWithCostBudget(10_000);
    for (let i = 0; i < 4; i++) await policy.admit([costing(2_500)], alice, "http-post");
    const refused = await refusal(policy.admit([costing(2)], alice, "http-post"));
    assert.equal(refused.status, 429);
    assert.equal(refused.code, "RATE_LIMITED");
    assert.equal(refused.extensions.budget, "cost");
    assert.ok(refused.retryAfterSeconds! >= 1 && refused.retryAfterSeconds! <= 60);
    assert.equal(refused.extensions.retryAfterSeconds, refused.retryAfterSeconds);
    // Another caller's budget is their own.
    await policy.admit([costing(2_500)], { key: "user:bob", network: "ip:198.51.100.7" }, "http-post");
  });

  it("charges a batch its summed cost, all or nothing", async () => {
    const policy = policyWithCostBudget(10_000);
    await policy.admit(Array.from({ length: 4 }, () => costing(2_000)), alice, "http-post");
    const refused = await refusal(policy.admit([costing(1_000), costing(1_001)], alice, "http-post"));
    assert.equal(refused.extensions.budget, "cost");
    // The refused batch spent nothing: 2,000 are still there.
    await policy.admit([costing(1_000), costing(1_000)], alice, "http-post");
  });

  it("refuses a request costing more than a whole minute's budget without spending any of it", async () => {
    const policy = policyWithCostBudget(10_000);
    const refused = await refusal(policy.admit(Array.from({ length: 3 }, () => costing(4_000)), alice, "http-post"));
    assert.equal(refused.retryAfterSeconds, 60);
    await policy.admit([costing(5_000), costing(5_000)], alice, "http-post");
  });

  it("bounds a network's callers together at ten times the budget: fresh accounts do not multiply it", async () => {
    const policy = policyWithCostBudget(5_000);
    for (let i = 0; i < 10; i++) await policy.admit([costing(5_000)], { key: `user:fresh-${i}`, network: "ip:203.0.113.9" }, "http-post");
    const refused = await refusal(policy.admit([costing(10)], { key: "user:fresh-10", network: "ip:203.0.113.9" }, "http-post"));
    assert.equal(refused.extensions.budget, "cost");
  });
});
