import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { metricsRegistry } from "#kernel";
import { COST_LEASE_MAX, createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { createOperationBudgets } from "../src/security/operation-budgets.js";
import { createRequestPolicy } from "../src/security/request-policy.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { allowAll, costing, limits } from "./support/cost-budget-policy.js";
import { refusal } from "./support/policy-refusal.js";
import { countedRedis, type CountedRedis } from "./support/counted-redis.js";

/** A request checking out, as the storefront sends it: the cost budget and the checkout budget. */
const checkout = { query: `mutation { checkout(idempotencyKey: "k") { id status } }` };

/** Refusals counted, by budget, from the gateway's metrics. */
async function refusalsOf(budget: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric("storefront_rate_limit_refusals_total")!.get();
  return metric.values.find((value) => value.labels.budget === budget)?.value ?? 0;
}

describe("budgets charged together", () => {
  it("counts a request's refusal once, by the budget that refused it, though another refused it beside", async () => {
    const budgets = createOperationBudgets({ auth: 10, checkout: 1, search: 300, views: 120, guestCarts: 30 }, { networkMultiple: 10 });
    const policy = createRequestPolicy({
      limits,
      rateLimit: allowAll,
      networkRateLimit: allowAll,
      costRateLimit: { perMinute: 10_000, perCaller: createCallerRateLimiter({ pointsPerMinute: 10_000, keyPrefix: "rl:cost" }), perNetwork: createCallerRateLimiter({ pointsPerMinute: 100_000, keyPrefix: "rl:cost:network" }) },
      budgets,
      persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
    });
    const customer = { key: `user:${randomUUID()}`, network: `ip:test-${randomUUID()}`, site: undefined };
    const [first] = await policy.admit([checkout], customer, "http-post");
    // Both budgets spent: the minute's one checkout, and all the cost points but one.
    await policy.admit([costing(5_000), costing(10_000 - first!.measure.cost - 5_000 - 1)], customer, "http-post");
    const [cost, checkouts] = [await refusalsOf("cost"), await refusalsOf("checkout")];
    assert.equal((await refusal(policy.admit([checkout], customer, "http-post"))).extensions.budget, "cost");
    assert.equal((await refusalsOf("cost")) - cost, 1);
    assert.equal((await refusalsOf("checkout")) - checkouts, 0, "the checkout budget's refusal was not the request's");
  });
});

/** Budgets on a Redis whose every socket write and command is counted. */
if (process.env.REDIS_URL) {
  describe("budgets on Redis: one round trip for every budget a request charges together", () => {
    let counted: CountedRedis;
    let redis: Redis;
    before(async () => {
      counted = await countedRedis(process.env.REDIS_URL!);
      redis = counted.redis;
    });
    after(async () => {
      await redis.quit();
    });

    /** The gateway's cost and per-field budgets on `redis` (general budget free), keys of this test's own. */
    function gatewayPolicy(checkoutsPerMinute: number, costPerMinute = 150_000) {
      // The per-field budgets' keys are the gateway's own: each test's callers and networks are new.
      const prefix = `rl:test:${randomUUID()}`;
      const budgets = createOperationBudgets({ auth: 10, checkout: checkoutsPerMinute, search: 300, views: 120, guestCarts: 30 }, { redis, networkMultiple: 10 });
      const cost = (keyPrefix: string, pointsPerMinute: number) => createCallerRateLimiter({ pointsPerMinute, redis, keyPrefix, leaseMax: COST_LEASE_MAX });
      const policy = createRequestPolicy({
        limits,
        rateLimit: allowAll,
        networkRateLimit: allowAll,
        costRateLimit: { perMinute: costPerMinute, perCaller: cost(`${prefix}:cost`, costPerMinute), perNetwork: cost(`${prefix}:cost:network`, costPerMinute * 10) },
        budgets,
        persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
      });
      return Object.assign(policy, { budgets });
    }

    it("charges a new customer's checkout its cost and checkout budgets in one round trip, not one after the other", async () => {
      const policy = gatewayPolicy(10_000);
      const network = `ip:test-${randomUUID()}`;
      // The network's ceilings leased by a first customer (and the script loaded).
      await policy.admit([checkout], { key: `user:${randomUUID()}`, network, site: undefined }, "http-post");
      const [commandsBefore, writesBefore] = [counted.commands, counted.writes];
      for (let i = 0; i < 10; i++) await policy.admit([checkout], { key: `user:${randomUUID()}`, network, site: undefined }, "http-post");
      // Each new customer has no lease of either budget: two leases to take, in one script.
      assert.equal(counted.commands - commandsBefore, 10, `${counted.commands - commandsBefore} Redis commands for 10 checkouts (it was 20: the cost budget's, then the checkout budget's)`);
      assert.equal(counted.writes - writesBefore, 10, `${counted.writes - writesBefore} socket writes for 10 checkouts`);
    });

    it("gives back the checkout point of a checkout the cost budget refuses, and the cost of one the checkout budget refuses", async () => {
      const policy = gatewayPolicy(1, 10_000);
      const spent = { key: `user:${randomUUID()}`, network: `ip:test-${randomUUID()}`, site: undefined };
      // The cost budget all but spent (9,999 of 10,000): a checkout (a few points) is refused by it...
      await policy.admit([costing(5_000), costing(4_999)], spent, "http-post");
      assert.equal((await refusal(policy.admit([checkout], spent, "http-post"))).extensions.budget, "cost");
      // ...and its one checkout a minute, charged beside the cost, is still there.
      assert.equal((await policy.budgets.charge([["checkout", 1]], spent)).refused, undefined);

      const buyer = { key: `user:${randomUUID()}`, network: `ip:test-${randomUUID()}`, site: undefined };
      const [first] = await policy.admit([checkout], buyer, "http-post");
      assert.equal((await refusal(policy.admit([checkout], buyer, "http-post"))).extensions.budget, "checkout");
      // The refused checkout spent no cost: all the minute's but the first checkout's is left, and no more.
      const left = 10_000 - first!.measure.cost;
      await policy.admit([costing(5_000), costing(left - 5_000)], buyer, "http-post");
      assert.equal((await refusal(policy.admit([costing(2)], buyer, "http-post"))).extensions.budget, "cost");
    });

  });
}
