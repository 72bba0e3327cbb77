import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { KeyValueStore } from "../cache/key-value-store.js";
import { createLockService } from "../cache/lock-service.js";
import { engineSuiteTitle, waitFor } from "../testing/index.js";

/**
 * The guarantees of the `KeyValueStore` port, and of the lock service built on it, checked
 * against one adapter. Every test uses its own keys, so runs never see each other's data.
 */
export function defineKeyValueStoreContract(engine: string, create: () => Promise<KeyValueStore>): void {
  describe(engineSuiteTitle("KeyValueStore contract", engine), { timeout: 60_000 }, () => {
    let store: KeyValueStore;

    before(async () => {
      store = await create();
    });
    after(async () => {
      await store?.close();
    });

    const key = (name: string) => `contract:${name}:${randomUUID()}`;

    it("reads back what was set, and null for a key never set", async () => {
      const k = key("plain");
      await store.set(k, "v1");
      assert.equal(await store.get(k), "v1");
      await store.set(k, "v2");
      assert.equal(await store.get(k), "v2");
      assert.equal(await store.get(key("never-set")), null);
    });

    it("forgets a value once its TTL has passed", async () => {
      const k = key("ttl");
      await store.set(k, "short-lived", 300);
      assert.equal(await store.get(k), "short-lived");
      await waitFor("the value expires", async () => (await store.get(k)) === null, { timeoutMs: 3_000 });
    });

    it("reads many keys at once, in the order asked, with null for the missing", async () => {
      const [a, b, missing] = [key("a"), key("b"), key("missing")];
      await store.set(a, "1");
      await store.set(b, "2");
      assert.deepEqual(await store.getMany([b, missing, a]), ["2", null, "1"]);
      assert.deepEqual(await store.getMany([]), []);
    });

    it("deletes one or several keys, ignoring those that do not exist", async () => {
      const [a, b, c] = [key("a"), key("b"), key("c")];
      await Promise.all([store.set(a, "1"), store.set(b, "2"), store.set(c, "3")]);
      await store.delete(a);
      await store.delete(b, c, key("missing"));
      assert.deepEqual(await store.getMany([a, b, c]), [null, null, null]);
    });

    it("lets exactly one of 50 concurrent setIfAbsent calls create the key", async () => {
      const k = key("nx");
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setIfAbsent(k, `caller-${i}`, 10_000)));
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      assert.equal(winners.length, 1);
      assert.equal(await store.get(k), `caller-${winners[0]}`);
    });

    it("lets setIfAbsent create the key again once its TTL has passed", async () => {
      const k = key("nx-ttl");
      assert.equal(await store.setIfAbsent(k, "first", 200), true);
      assert.equal(await store.setIfAbsent(k, "second", 10_000), false);
      await waitFor("the key can be taken again", () => store.setIfAbsent(k, "third", 10_000), { timeoutMs: 3_000 });
      assert.equal(await store.get(k), "third");
    });

    it("deletes on deleteIfEquals only while the key holds the expected value", async () => {
      const k = key("owner");
      await store.set(k, "owner-token");
      assert.equal(await store.deleteIfEquals(k, "someone-else"), false);
      assert.equal(await store.get(k), "owner-token");
      assert.equal(await store.deleteIfEquals(k, "owner-token"), true);
      assert.equal(await store.get(k), null);
      assert.equal(await store.deleteIfEquals(k, "owner-token"), false);
    });

    it("extends a key's TTL on extendIfEquals only while the key holds the expected value", async () => {
      const k = key("renewed");
      assert.equal(await store.setIfAbsent(k, "owner-token", 300), true);
      assert.equal(await store.extendIfEquals(k, "someone-else", 60_000), false);
      assert.equal(await store.extendIfEquals(k, "owner-token", 60_000), true);
      // Past the first TTL the key is still held: the owner's renewal moved it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await store.get(k), "owner-token");
      assert.equal(await store.setIfAbsent(k, "taker", 60_000), false);
      await store.delete(k);
      assert.equal(await store.extendIfEquals(k, "owner-token", 60_000), false, "a key gone is not brought back");
      assert.equal(await store.get(k), null);
    });

    it("keeps the largest of values raised in any order, with the TTL of the write that set it", async () => {
      const k = key("raised");
      assert.equal(await store.raiseTo(k, 101, 60_000), 101);
      assert.equal(await store.raiseTo(k, 100, 60_000), 101, "a smaller value arriving later changes nothing");
      assert.equal(await store.get(k), "101");
      const raced = await Promise.all([105, 102, 104, 103].map((value) => store.raiseTo(k, value, 60_000)));
      assert.ok(raced.every((held) => held >= 102 && held <= 105));
      assert.equal(await store.get(k), "105");
      const short = key("raised-short");
      assert.equal(await store.raiseTo(short, 7, 300), 7);
      await waitFor("the raised value expires with its TTL", async () => (await store.get(short)) === null, { timeoutMs: 3_000 });
      assert.equal(await store.raiseTo(short, 1, 60_000), 1, "an expired value is no floor");
    });

    it("counts every one of 200 concurrent increments exactly once", async () => {
      const k = key("counter");
      const results = await Promise.all(Array.from({ length: 200 }, () => store.increment(k, 1)));
      assert.deepEqual(
        [...results].sort((x, y) => x - y),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.equal(await store.get(k), "200");
      assert.equal(await store.increment(k, -50), 150);
    });

    it("sets an increment's TTL when the counter is created, never on later increments", async () => {
      const k = key("window");
      assert.equal(await store.increment(k, 1, 300), 1);
      assert.equal(await store.increment(k, 2, 60_000), 3);
      assert.equal(await store.increment(k, 1), 4);
      // Had a later call replaced the TTL, the counter would outlive this wait.
      await waitFor("the counter expires with its first TTL", async () => (await store.get(k)) === null, { timeoutMs: 3_000 });
      assert.equal(await store.increment(k, 1, 60_000), 1);
    });

    it("rejects incrementing a value that is not an integer", async () => {
      const k = key("text");
      await store.set(k, "not a number");
      await assert.rejects(store.increment(k, 1));
      assert.equal(await store.get(k), "not a number");
    });

    it("sums sorted sets into the top members, highest first, equal scores in descending member order", async () => {
      const [a, b, missing] = [key("zset-a"), key("zset-b"), key("zset-missing")];
      assert.equal(
        await store.incrementScores([
          { key: a, member: "p1", by: 3 },
          { key: a, member: "p2", by: 1 },
          { key: b, member: "p2", by: 4 },
          { key: b, member: "p3", by: 2 },
          { key: b, member: "p4", by: 2 },
          { key: a, member: "p1", by: 1 },
        ]),
        true,
      );
      assert.deepEqual(await store.topScores([a, b, missing], 10), [
        { member: "p2", score: 5 },
        { member: "p1", score: 4 },
        { member: "p4", score: 2 },
        { member: "p3", score: 2 },
      ]);
      assert.deepEqual(await store.topScores([a, b], 2), [
        { member: "p2", score: 5 },
        { member: "p1", score: 4 },
      ]);
      // A key named twice is still one set.
      assert.deepEqual(await store.topScores([b, b], 1), [{ member: "p2", score: 4 }]);
      assert.deepEqual(await store.topScores([missing], 5), []);
      assert.deepEqual(await store.topScores([], 5), []);
      assert.deepEqual(await store.topScores([a], 0), []);
    });

    it("counts every one of 200 concurrent score increments exactly once", async () => {
      const k = key("zset-concurrent");
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.incrementScores([{ key: k, member: `m${i % 2}`, by: 1 }])));
      assert.deepEqual(await store.topScores([k], 5), [
        { member: "m1", score: 100 },
        { member: "m0", score: 100 },
      ]);
    });

    it("applies increments marked once exactly once among 50 concurrent deliveries", async () => {
      const [k, mark] = [key("zset-once"), key("zset-once-mark")];
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          store.incrementScores(
            [
              { key: k, member: "p1", by: 1 },
              { key: k, member: "p2", by: 2 },
            ],
            { key: mark, ttlMs: 10_000 },
          ),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(await store.topScores([k], 5), [
        { member: "p2", score: 2 },
        { member: "p1", score: 1 },
      ]);
    });

    it("applies increments under a mark again once the mark has expired", async () => {
      const [k, mark] = [key("zset-once-ttl"), key("zset-once-ttl-mark")];
      assert.equal(await store.incrementScores([{ key: k, member: "p", by: 1 }], { key: mark, ttlMs: 200 }), true);
      assert.equal(await store.incrementScores([{ key: k, member: "p", by: 1 }], { key: mark, ttlMs: 200 }), false);
      await waitFor("the mark expires", () => store.incrementScores([{ key: k, member: "p", by: 1 }], { key: mark, ttlMs: 10_000 }), { timeoutMs: 3_000 });
      assert.deepEqual(await store.topScores([k], 1), [{ member: "p", score: 2 }]);
    });

    it("sets a sorted set's TTL when an increment creates it, never on later increments", async () => {
      const [short, long] = [key("zset-ttl-short"), key("zset-ttl-long")];
      await store.incrementScores([
        { key: short, member: "p", by: 1, ttlMs: 300 },
        { key: long, member: "p", by: 1, ttlMs: 60_000 },
      ]);
      await store.incrementScores([{ key: short, member: "p", by: 1, ttlMs: 60_000 }]);
      assert.deepEqual(await store.topScores([short, long], 1), [{ member: "p", score: 3 }]);
      // Had the second increment replaced the TTL, the short set would outlive this wait.
      await waitFor("the short-lived set expires", async () => (await store.topScores([short], 1)).length === 0, { timeoutMs: 3_000 });
      assert.deepEqual(await store.topScores([short, long], 1), [{ member: "p", score: 1 }]);
    });

    it("refuses increments on a key holding a plain value, applying none of them and keeping the mark free", async () => {
      const [text, zset, mark] = [key("zset-text"), key("zset-ok"), key("zset-text-mark")];
      await store.set(text, "not a set");
      await assert.rejects(
        store.incrementScores(
          [
            { key: zset, member: "p", by: 1 },
            { key: text, member: "p", by: 1 },
          ],
          { key: mark, ttlMs: 10_000 },
        ),
      );
      assert.equal(await store.get(text), "not a set");
      assert.deepEqual(await store.topScores([zset], 1), []);
      assert.equal(await store.setIfAbsent(mark, "free", 10_000), true);
    });

    it("forgets a sorted set on delete", async () => {
      const k = key("zset-delete");
      await store.incrementScores([{ key: k, member: "p", by: 1 }]);
      await store.delete(k);
      assert.deepEqual(await store.topScores([k], 1), []);
    });

    it("answers ping", async () => {
      await store.ping();
    });

    it("never runs two locked sections for one resource at once", async () => {
      // Two services stand for two processes sharing the store.
      const services = [createLockService(store), createLockService(store)];
      const resource = key("resource");
      let inside = 0;
      let mostInside = 0;
      let completed = 0;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          services[i % 2]!.withLock(
            resource,
            async () => {
              inside += 1;
              mostInside = Math.max(mostInside, inside);
              // Stay inside a little: an overlapping section would be caught here.
              await new Promise((resolve) => setTimeout(resolve, 5));
              inside -= 1;
              completed += 1;
            },
            { ttlMs: 10_000, waitMs: 30_000 },
          ),
        ),
      );
      assert.equal(completed, 20);
      assert.equal(mostInside, 1);
    });

    it("releases a lock when its section throws", async () => {
      const locks = createLockService(store);
      const resource = key("resource");
      await assert.rejects(
        locks.withLock(resource, async () => {
          throw new Error("section failed");
        }),
        /section failed/,
      );
      // With no wait allowed, this succeeds only if the lock was released.
      assert.equal(await locks.withLock(resource, async () => "entered", { waitMs: 0 }), "entered");
    });
  });
}
