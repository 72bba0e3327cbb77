import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { createRedisBudgetStore } from "../src/rate-limit/redis-budget-store.js";
import { countedRedis, type CountedRedis } from "./support/counted-redis.js";

/** The budgets' store on Redis, its commands and socket writes counted. */
if (process.env.REDIS_URL) {
  describe("budget store on Redis", () => {
    let counted: CountedRedis;
    let redis: Redis;
    before(async () => {
      counted = await countedRedis(process.env.REDIS_URL!);
      redis = counted.redis;
    });
    after(async () => {
      await redis.quit();
    });

    it("sends the charges of every budget asked in one turn in one script: one command and one socket write", async () => {
      const budgets = [3, 600, 150_000].map((pointsPerMinute) => createCallerRateLimiter({ pointsPerMinute, redis, keyPrefix: `rl:test:${randomUUID()}` }));
      await Promise.all(budgets.map((limit) => limit("ip:192.0.2.72"))); // the script loaded
      const [commandsBefore, writesBefore] = [counted.commands, counted.writes];
      const decisions = await Promise.all(budgets.flatMap((limit) => [limit("ip:192.0.2.73"), limit("ip:192.0.2.74")]));
      assert.ok(decisions.every((decision) => decision.allowed));
      assert.equal(counted.commands - commandsBefore, 1, `${counted.commands - commandsBefore} Redis commands for 6 charges of new callers (it was 6)`);
      assert.equal(counted.writes - writesBefore, 1, `${counted.writes - writesBefore} socket writes for 6 charges`);
      // Each charged its own count, a lease at a time (one point for budgets of 100 or less).
      const [small] = budgets;
      for (let i = 0; i < 2; i++) assert.equal((await small!("ip:192.0.2.73")).allowed, true);
      assert.equal((await small!("ip:192.0.2.73")).allowed, false, "3 a minute, and no more");
    });

    it("keeps the counts rate-limiter-flexible keeps, on the same keys: gateways of both versions share one budget", async () => {
      const keyPrefix = `rl:test:${randomUUID()}`;
      const memory = new RateLimiterMemory({ points: 10, duration: 60 });
      const batched = createRedisBudgetStore({ redis, points: 10, duration: 60, keyPrefix, insurance: memory });
      const library = new RateLimiterRedis({ storeClient: redis, points: 10, duration: 60, keyPrefix });
      assert.equal((await batched.consume("ip:192.0.2.70", 4)).consumedPoints, 4);
      assert.equal((await library.consume("ip:192.0.2.70", 3)).consumedPoints, 7);
      const [first, second] = await Promise.all([batched.consume("ip:192.0.2.70", 2), batched.consume("ip:192.0.2.70", 2).catch((refused: unknown) => refused)]);
      assert.equal(first.consumedPoints, 9);
      assert.ok(second instanceof RateLimiterRes, "past the budget: refused with the count it reached");
      assert.equal(second.consumedPoints, 11);
      assert.ok(second.msBeforeNext > 0 && second.msBeforeNext <= 60_000);
      await batched.reward("ip:192.0.2.70", 2);
      assert.equal((await library.get("ip:192.0.2.70"))!.consumedPoints, 9);
    });

    it("counts in memory when the command fails, as the insurance limiter did", async () => {
      const closed = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      closed.on("error", () => undefined);
      const memory = new RateLimiterMemory({ points: 2, duration: 60 });
      const store = createRedisBudgetStore({ redis: closed, points: 2, duration: 60, keyPrefix: `rl:test:${randomUUID()}`, insurance: memory });
      assert.equal((await store.consume("ip:192.0.2.71", 1)).consumedPoints, 1);
      assert.equal((await store.consume("ip:192.0.2.71", 1)).consumedPoints, 2);
      await assert.rejects(store.consume("ip:192.0.2.71", 1), (refused: unknown) => refused instanceof RateLimiterRes && refused.consumedPoints === 3);
      closed.disconnect();
    });
  });
}
