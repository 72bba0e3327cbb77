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

  it("consumes: of 10 concurrent attempts exactly the budget passes, and the address budget holds across accounts", async () => {
    await assertConsumeHoldsTheBudget([createLoginThrottle(limits)]);
  });

  it("judges a known device by its own budget: failures from everywhere else never refuse it", async () => {
    await assertKnownDeviceHasItsOwnBudget([createLoginThrottle({ ...limits, failuresPerAccount: 10, failuresPerDevice: 4 })]);
  });

  it("consumes the account's ceiling only for what a network's own budget let through: a stranger refused for it cannot spend the owner's", async () => {
    await assertRefusedNetworkSpendsNoCeiling([createLoginThrottle(pairLimits)]);
  });

  it("counts the /64s of one IPv6 /48 together: guesses spread over new networks of one site stop at the site's budget", async () => {
    const throttle = createLoginThrottle(limits);
    const { NETWORKS_PER_SITE } = await import("#kernel");
    const siteBudget = limits.failuresPerAddress * NETWORKS_PER_SITE;
    // One failure from each of many /64s of 2001:db8:48::/48, each for another account (password spraying).
    const decisions = [];
    for (let i = 0; i < siteBudget + 10; i++) decisions.push(await throttle.consume({ account: `spray-${i}@example.com`, address: `2001:db8:48:${i.toString(16)}::/64` }));
    assert.equal(decisions.filter((d) => d.allowed).length, siteBudget);
    // Another site, and an IPv4 address, keep their own budgets.
    assert.equal((await throttle.consume({ account: "other@example.com", address: "2001:db8:49:1::/64" })).allowed, true);
    assert.equal((await throttle.consume({ account: "other@example.com", address: "192.0.2.9" })).allowed, true);
  });
});

/**
 * A botnet fills the account's ceiling from many networks: a client without a device is
 * refused, a known device is not, until its own failures use up its own budget; another
 * device of the account keeps its budget.
 */
async function assertKnownDeviceHasItsOwnBudget(instances: ReturnType<typeof createLoginThrottle>[]) {
  const account = `known-${randomUUID()}@example.com`;
  const at = (i: number) => instances[i % instances.length]!;
  for (let i = 0; i < 12; i++) await at(i).recordFailure({ account, address: `203.0.113.${i}` });
  assert.equal((await at(0).check({ account, address: "198.51.100.1" })).allowed, false, "an unknown client is locked out");
  const laptop = { account, address: "198.51.100.1", device: "laptop-device-id" };
  assert.equal((await at(1).check(laptop)).allowed, true, "the known device is not");
  for (let i = 0; i < 4; i++) await at(i).recordFailure({ ...laptop, address: `192.0.2.${i}` });
  assert.equal((await at(0).check(laptop)).allowed, false, "its own failures lock it");
  assert.equal((await at(1).check({ ...laptop, device: "phone-device-id" })).allowed, true, "another device keeps its budget");
  assert.equal((await at(0).check({ account: `other-${randomUUID()}@example.com`, address: "198.51.100.1", device: "laptop-device-id" })).allowed, true, "a device is counted per account");
  await at(1).recordSuccess(laptop);
  assert.equal((await at(0).check(laptop)).allowed, true, "a success forgives the device its failures");
  assert.equal((await at(0).check({ account, address: "198.51.100.1" })).allowed, false, "and not the account its ceiling");
}

const pairLimits = { failuresPerAccountFromAddress: 2, failuresPerAccount: 5, failuresPerAddress: 50, windowSeconds: 60 };

/**
 * A stranger's network asks 20 times for one account (a reset mail): it gets its own 2, the
 * ceiling counts those alone, so the owner's network still gets its 2; the ceiling (5) then
 * holds for requests spread over networks.
 */
async function assertRefusedNetworkSpendsNoCeiling(instances: ReturnType<typeof createLoginThrottle>[]) {
  const account = `reset:owner-${randomUUID()}@example.com`;
  const at = (i: number) => instances[i % instances.length]!;
  const stranger = await Promise.all(Array.from({ length: 20 }, (_, i) => at(i).consume({ account, address: "203.0.113.20" })));
  assert.equal(stranger.filter((d) => d.allowed).length, 2);
  const owner = [await at(0).consume({ account, address: "198.51.100.21" }), await at(1).consume({ account, address: "198.51.100.21" })];
  assert.deepEqual(owner.map((d) => d.allowed), [true, true], "the owner's network keeps its budget");
  assert.equal((await at(0).consume({ account, address: "192.0.2.22" })).allowed, true, "5th of the ceiling");
  assert.equal((await at(1).consume({ account, address: "192.0.2.23" })).allowed, false, "the ceiling holds over networks");
}

/** 10 concurrent consumes for one account, spread over the given instances: 3 pass; then the address's 5. */
async function assertConsumeHoldsTheBudget(instances: ReturnType<typeof createLoginThrottle>[]) {
  const account = `burst-${randomUUID()}@example.com`;
  const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => instances[i % instances.length]!.consume({ account, address: `198.51.100.${i}` })));
  assert.equal(decisions.filter((d) => d.allowed).length, 3);
  for (const refused of decisions.filter((d) => !d.allowed)) assert.ok(refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 60);
  const address = "203.0.113.7";
  const spread = await Promise.all(Array.from({ length: 8 }, (_, i) => instances[i % instances.length]!.consume({ account: `spread-${i}-${randomUUID()}@example.com`, address })));
  assert.equal(spread.filter((d) => d.allowed).length, 5);
}

describeWithRealEngine({ suite: "login throttle", engine: "redis", variable: "REDIS_URL" }, (url) => {
  describe("login throttle [redis]", () => {
    const stores: RedisKeyValueStore[] = [];
    after(async () => Promise.all(stores.map((s) => s.close())));
    async function instance(keyPrefix: string, budgets: Omit<Parameters<typeof createLoginThrottle>[0], "redis" | "keyPrefix"> = limits) {
      const store = new RedisKeyValueStore(url);
      await store.connect();
      stores.push(store);
      return createLoginThrottle({ ...budgets, redis: store.client, keyPrefix });
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

    it("consumes atomically across instances: of 10 concurrent attempts exactly the budget passes", async () => {
      const prefix = `test-consume-${randomUUID()}`;
      await assertConsumeHoldsTheBudget([await instance(prefix), await instance(prefix)]);
    });

    it("judges a known device by its own budget across instances: failures from everywhere else never refuse it", async () => {
      const prefix = `test-device-${randomUUID()}`;
      const devices = { ...limits, failuresPerAccount: 10, failuresPerDevice: 4 };
      await assertKnownDeviceHasItsOwnBudget([await instance(prefix, devices), await instance(prefix, devices)]);
    });

    it("consumes the account's ceiling across instances only for what a network's own budget let through", async () => {
      const prefix = `test-ceiling-${randomUUID()}`;
      await assertRefusedNetworkSpendsNoCeiling([await instance(prefix, pairLimits), await instance(prefix, pairLimits)]);
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
