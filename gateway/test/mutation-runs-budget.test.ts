import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRequestPolicy, type OperationLimits, type Transport } from "../src/security/request-policy.js";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { refusal } from "./support/policy-refusal.js";

const limits: OperationLimits = { maxDepth: 12, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 10, maxTokens: 2_000, maxBatchSize: 10 };
const CALLER = { key: "user:writer", network: "ip:192.0.2.1", site: undefined };

/** A real policy whose only budget is the general one: 25 points a minute per caller. */
function policy() {
  return createRequestPolicy({
    limits,
    rateLimit: createCallerRateLimiter({ pointsPerMinute: 25 }),
    networkRateLimit: createCallerRateLimiter({ pointsPerMinute: 250, keyPrefix: "rl:gateway:network" }),
    budgets: { charge: async () => ({ giveBack: async () => {} }) },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
  });
}

const aliased = (count: number, field: (i: number) => string) => Array.from({ length: count }, (_, i) => field(i)).join(" ");
const writes = (count: number) => aliased(count, (i) => `w${i}: updateCartItem(productId: "prod_0000001", quantity: ${1 + (i % 2)}) { totalQuantity }`);
const reads = (count: number) => aliased(count, (i) => `r${i}: product(id: "prod_0000001") { id }`);

describe("general budget: every mutation field run is charged as a request of its own", () => {
  for (const transport of ["http-post", "websocket"] as Transport[]) {
    it(`charges 30 aliased cart writes 30 points over ${transport}, where 30 aliased reads take one`, async () => {
      const gate = policy();
      // 30 reads are one operation: one point each time, 20 times within 25.
      for (let i = 0; i < 20; i++) await gate.admit([{ query: `{ ${reads(30)} }` }], CALLER, transport);
      const refused = await refusal(gate.admit([{ query: `mutation { ${writes(6)} }` }], CALLER, transport));
      assert.equal(refused.status, 429);
      assert.equal(refused.code, "RATE_LIMITED");
      assert.equal(refused.extensions.budget, undefined, "the general budget's refusal");
      // A fresh caller: 30 writes are more than 25 points; 24 leave one.
      const other = { ...CALLER, key: "user:other" };
      assert.equal((await refusal(gate.admit([{ query: `mutation { ${writes(30)} }` }], other, transport))).code, "RATE_LIMITED");
      const third = { ...CALLER, key: "user:third" };
      await gate.admit([{ query: `mutation { ${writes(24)} }` }], third, transport);
      await gate.admit([{ query: `{ __typename }` }], third, transport);
      assert.equal((await refusal(gate.admit([{ query: `{ __typename }` }], third, transport))).code, "RATE_LIMITED");
    });
  }

  it("counts writes spread from root fragments and over a batch's operations, and no __typename", async () => {
    const gate = policy();
    const viaFragments = `mutation { __typename ...A ... on Mutation { ...B } } fragment A on Mutation { ${writes(6)} } fragment B on Mutation { ...A x: removeCoupon { totalQuantity } }`;
    // 6 + 6 + 1 writes: 13 points, and a batch of two such is 26.
    assert.equal((await refusal(gate.admit([{ query: viaFragments }, { query: viaFragments }], CALLER, "http-post"))).code, "RATE_LIMITED");
    const other = { ...CALLER, key: "user:batcher" };
    await gate.admit([{ query: viaFragments }], other, "http-post");
    // 13 taken: a batch of three one-write operations and a nine-write one (12) fits, one more does not.
    await gate.admit([{ query: `mutation { ${writes(1)} }` }, { query: `mutation { ${writes(1)} }` }, { query: `mutation { ${writes(1)} }` }, { query: `mutation { ${writes(9)} }` }], other, "http-post");
    assert.equal((await refusal(gate.admit([{ query: `mutation { ${writes(1)} }` }], other, "http-post"))).code, "RATE_LIMITED");
  });

  it("lets a sign-in of aliased runs pass a spent general budget, as a lone sign-in does (its own budget counts each run)", async () => {
    const gate = policy();
    for (let i = 0; i < 25; i++) await gate.admit([{ query: `{ __typename }` }], CALLER, "http-post");
    const logIns = `mutation { a: logIn(email: "a@example.test", password: "x") { accessToken } b: logIn(email: "b@example.test", password: "x") { accessToken } }`;
    const [admitted] = await gate.admit([{ query: logIns }], CALLER, "http-post");
    assert.equal(admitted!.measure.rootFields.get("logIn"), 2);
  });
});
