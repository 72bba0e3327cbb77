import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { StockCache } from "../src/ports/stock-cache.js";

/**
 * The guarantees of the `StockCache` port, checked against one adapter. `create` gets a
 * fresh namespace, so runs never see each other's counters.
 */
export function defineStockCacheContract(engine: string, create: (namespace: string) => Promise<StockCache>): void {
  describe(engineSuiteTitle("StockCache contract", engine), { timeout: 60_000 }, () => {
    let cache: StockCache;
    // One mirror per test would need one namespace per test; epochs isolate tests instead.
    const fresh = async (levels: Record<string, number>) => {
      const epoch = randomUUID();
      await cache.replace(epoch, Object.entries(levels).map(([variantId, available]) => ({ variantId, available })));
      return epoch;
    };
    const counters = async (...ids: string[]) => (await cache.read(ids)).available;

    before(async () => {
      cache = await create(`contract-${randomUUID().slice(0, 8)}:`);
    });
    after(async () => {
      await cache?.close();
    });

    it("reads the marker and the counters, with null for products it has no counter for", async () => {
      const epoch = await fresh({ a: 5, b: 0 });
      assert.deepEqual(await cache.read(["b", "missing", "a"]), { epoch, available: [0, null, 5] });
      assert.deepEqual(await cache.read([]), { epoch, available: [] });
    });

    it("replaces every counter, dropping those of products no longer given, and then sets the marker", async () => {
      await fresh({ a: 5, gone: 7 });
      const epoch = await fresh({ a: 2, c: 9 });
      assert.deepEqual(await cache.read(["a", "gone", "c"]), { epoch, available: [2, null, 9] });
    });

    it("reserves several items at once when each has enough", async () => {
      const epoch = await fresh({ a: 5, b: 3 });
      assert.deepEqual(await cache.reserve(epoch, [{ variantId: "a", quantity: 2 }, { variantId: "b", quantity: 3 }]), { kind: "reserved" });
      assert.deepEqual(await counters("a", "b"), [3, 0]);
    });

    it("changes nothing when one item is short, and says which and how many are left", async () => {
      const epoch = await fresh({ a: 5, b: 1 });
      assert.deepEqual(await cache.reserve(epoch, [{ variantId: "a", quantity: 2 }, { variantId: "b", quantity: 2 }]), { kind: "short", variantId: "b", available: 1 });
      assert.deepEqual(await counters("a", "b"), [5, 1]);
    });

    it("changes nothing when an item has no counter", async () => {
      const epoch = await fresh({ a: 5 });
      assert.deepEqual(await cache.reserve(epoch, [{ variantId: "a", quantity: 1 }, { variantId: "nope", quantity: 1 }]), { kind: "missing", variantId: "nope" });
      assert.deepEqual(await counters("a", "nope"), [5, null]);
    });

    it("refuses every fenced call made with another epoch, and reports the current marker", async () => {
      const old = await fresh({ a: 5 });
      const epoch = await fresh({ a: 5 });
      assert.deepEqual(await cache.reserve(old, [{ variantId: "a", quantity: 1 }]), { kind: "stale", epoch });
      assert.equal(await cache.adjust(old, [{ variantId: "a", delta: -3 }]), false);
      assert.equal(await cache.load(old, [{ variantId: "a", available: 100 }]), false);
      assert.deepEqual(await counters("a"), [5]);
    });

    it("lets exactly 50 of 300 concurrent single-unit reservations through a counter of 50, never below zero", async () => {
      const epoch = await fresh({ hot: 50 });
      const outcomes = await Promise.all(Array.from({ length: 300 }, () => cache.reserve(epoch, [{ variantId: "hot", quantity: 1 }])));
      assert.equal(outcomes.filter((o) => o.kind === "reserved").length, 50);
      assert.ok(outcomes.every((o) => o.kind === "reserved" || (o.kind === "short" && o.available === 0)));
      assert.deepEqual(await counters("hot"), [0]);
    });

    it("keeps multi-item reservations all-or-nothing under concurrency", async () => {
      const epoch = await fresh({ a: 100, b: 10 });
      const outcomes = await Promise.all(Array.from({ length: 40 }, () => cache.reserve(epoch, [{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 1 }])));
      const reserved = outcomes.filter((o) => o.kind === "reserved").length;
      assert.equal(reserved, 10);
      assert.deepEqual(await counters("a", "b"), [90, 0]);
    });

    it("adds deltas (positive and negative) to existing counters only", async () => {
      const epoch = await fresh({ a: 5, b: 1 });
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: -2 }, { variantId: "b", delta: 4 }, { variantId: "nope", delta: 3 }]), true);
      assert.deepEqual(await counters("a", "b", "nope"), [3, 5, null]);
    });

    it("loads counters for new products at the current epoch", async () => {
      const epoch = await fresh({ a: 5 });
      assert.equal(await cache.load(epoch, [{ variantId: "new", available: 12 }]), true);
      assert.deepEqual(await counters("a", "new"), [5, 12]);
    });

    it("keeps its session while the connection stays up", async () => {
      const session = cache.session();
      await fresh({ a: 1 });
      await cache.read(["a"]);
      assert.equal(cache.session(), session);
    });
  });
}
