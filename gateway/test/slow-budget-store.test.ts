import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";

/** Budgets on a Redis that answers every command, 300 ms late (a swapping host, a saturated link). */
if (process.env.REDIS_URL) {
  describe("budgets on a slow Redis", () => {
    let redis: Redis;
    let commands = 0;
    let slow = false;
    before(() => {
      redis = new Redis(process.env.REDIS_URL!);
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
        commands++;
        if (!slow) return send(...args);
        return new Promise((resolve) => setTimeout(resolve, 300)).then(() => send(...args));
      }) as Redis["sendCommand"];
    });
    after(async () => {
      slow = false;
      await new Promise((resolve) => setTimeout(resolve, 400));
      await redis.quit();
    });

    it("stop asking it once a command misses its deadline, every budget on it, and keep counting in memory", async () => {
      const general = createCallerRateLimiter({ pointsPerMinute: 5, redis, keyPrefix: `rl:slow:${randomUUID()}` });
      const search = createCallerRateLimiter({ pointsPerMinute: 5, redis, keyPrefix: `rl:slow:${randomUUID()}` });
      assert.equal((await general("ip:192.0.2.60")).allowed, true);
      slow = true;
      // The first charge on the slow store waits out the deadline, then counts in memory.
      assert.equal((await general("ip:192.0.2.60")).allowed, true);
      const before = commands;
      const decisions = [];
      for (let i = 0; i < 6; i++) decisions.push((await general("ip:192.0.2.61")).allowed);
      for (let i = 0; i < 3; i++) decisions.push((await search("ip:192.0.2.61")).allowed);
      // (each was a 300 ms round trip before: 9 commands, 2.7 s)
      assert.equal(commands - before, 0, `${commands - before} commands sent to the slow store`);
      assert.deepEqual(decisions, [true, true, true, true, true, false, true, true, true], "the budget still holds, counted in memory");
    });
  });
}
