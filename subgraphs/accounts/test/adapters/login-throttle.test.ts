import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { createLoginThrottle } from "../../src/adapters/rate-limiter-login-throttle.js";

const limits = { failuresPerAccount: 3, failuresPerAddress: 5, windowSeconds: 60 };

describe("login throttle [memory]", () => {
  it("allows the budget of failures, then refuses with the time left in the window", async () => {
    const throttle = createLoginThrottle(limits);
    const attempt = { account: "ann@example.com", address: "192.0.2.1" };
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await throttle.check(attempt), { allowed: true, retryAfterSeconds: 0 });
      await throttle.recordFailure(attempt);
    }
    const refused = await throttle.check(attempt);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds > 55 && refused.retryAfterSeconds <= 60, String(refused.retryAfterSeconds));
  });
});

describeWithRealEngine({ suite: "login throttle", engine: "redis", variable: "REDIS_URL" }, (url) => {
  describe("login throttle [redis]", () => {
    const stores: RedisKeyValueStore[] = [];
    after(async () => Promise.all(stores.map((s) => s.close())));
    async function instance(keyPrefix: string) {
      const store = new RedisKeyValueStore(url);
      await store.connect();
      stores.push(store);
      return createLoginThrottle({ ...limits, redis: store.client, keyPrefix });
    }

    it("holds across instances: failures counted by one process refuse log-ins at another", async () => {
      const prefix = `test-login-${randomUUID()}`;
      const [first, second] = [await instance(prefix), await instance(prefix)];
      assert.equal(first.engine, "redis");
      const attempt = { account: "bob@example.com", address: "192.0.2.2" };
      await first.recordFailure(attempt);
      await second.recordFailure(attempt);
      await first.recordFailure(attempt);
      const refused = await second.check(attempt);
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 60);
      await first.recordSuccess(attempt);
      assert.equal((await second.check(attempt)).allowed, true, "a success at one instance forgives the account everywhere");
    });

    it("counts a client address across accounts and instances", async () => {
      const prefix = `test-login-${randomUUID()}`;
      const [first, second] = [await instance(prefix), await instance(prefix)];
      for (let i = 0; i < 5; i++) await (i % 2 ? first : second).recordFailure({ account: `user-${i}@example.com`, address: "192.0.2.3" });
      assert.equal((await first.check({ account: "fresh@example.com", address: "192.0.2.3" })).allowed, false);
      assert.equal((await second.check({ account: "fresh@example.com", address: "192.0.2.4" })).allowed, true);
    });
  });
});
