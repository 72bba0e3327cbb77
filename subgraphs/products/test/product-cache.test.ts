import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { EmbeddedKeyValueStore, type KeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { EmbeddedProductStore } from "../src/adapters/embedded-product-store.js";
import { createProductCache } from "../src/domain/product-cache.js";
import type { Product } from "../src/domain/product.js";
import { sampleProduct } from "./product-store.contract.js";

/** A catalog read that can be held after it has read, to stage the fill race. */
function gatedLoader(store: EmbeddedProductStore) {
  let gate: Promise<void> | undefined;
  let release = () => {};
  let reached = () => {};
  const state = { loads: 0 };
  return {
    state,
    /** The next load reads the store, then waits until `release()`. */
    holdNext(): Promise<void> {
      gate = new Promise((resolve) => (release = resolve));
      return new Promise((resolve) => (reached = resolve));
    },
    release: () => release(),
    load: async (ids: readonly string[]): Promise<Map<string, Product>> => {
      state.loads += 1;
      const found = await store.findByIds(ids);
      const held = gate;
      gate = undefined;
      if (held) {
        reached();
        await held;
      }
      return found;
    },
  };
}

function defineProductCacheTests(engine: string, openStore: () => Promise<KeyValueStore>): void {
  describe(engineSuiteTitle("product hot cache", engine), { timeout: 30_000 }, () => {
    let kv: KeyValueStore;
    before(async () => {
      kv = await openStore();
    });
    after(async () => {
      await kv?.close();
    });

    // Fresh ids per test: runs against a shared Redis never see each other's entries.
    const product = () => sampleProduct({ id: `prod_cache_${randomUUID().slice(0, 12)}`, sku: `CACHE-${randomUUID().slice(0, 12).toUpperCase()}` });

    it("reads through once, then serves the same product from the cache", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      await store.insert(p);
      const loader = gatedLoader(store);
      const cache = createProductCache({ kv, ttlMs: 60_000 });
      assert.deepEqual((await cache.getMany([p.id], loader.load)).get(p.id), p);
      assert.deepEqual((await cache.getMany([p.id], loader.load)).get(p.id), p, "dates and fields survive the round trip");
      assert.equal(loader.state.loads, 1);
    });

    it("keeps nothing in the shared store for an id longer than any the catalog issues, and still finds the products asked with it", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      await store.insert(p);
      const loader = gatedLoader(store);
      const cache = createProductCache({ kv, ttlMs: 60_000 });
      const made = `prod_${"x".repeat(90_000)}`;
      for (let round = 0; round < 2; round++) {
        const found = await cache.getMany([p.id, made], loader.load);
        assert.deepEqual([...found.keys()], [p.id]);
      }
      assert.equal(await kv.get(`catalog:product:${made}`), null);
      assert.equal(await kv.get(`catalog:product:${made}:gen`), null);
    });

    it("remembers a missing product until it is created and invalidated", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      const loader = gatedLoader(store);
      const cache = createProductCache({ kv, ttlMs: 60_000 });
      assert.equal((await cache.getMany([p.id], loader.load)).size, 0);
      assert.equal((await cache.getMany([p.id], loader.load)).size, 0);
      assert.equal(loader.state.loads, 1);
      await store.insert(p);
      await cache.invalidate(p.id);
      assert.equal((await cache.getMany([p.id], loader.load)).get(p.id)?.name, p.name);
    });

    it("never serves a fill that read the catalog before a write invalidated it", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      await store.insert(p);
      const loader = gatedLoader(store);
      const cache = createProductCache({ kv, ttlMs: 60_000 });

      // Reader: reads version 1, then stalls before filling.
      const reading = loader.holdNext();
      const slowRead = cache.getMany([p.id], loader.load);
      await reading;
      // Writer: version 2, and its invalidation, land while the reader stalls.
      await store.update(p.id, { name: "Renamed while a read was in flight" }, new Date());
      await cache.invalidate(p.id);
      // The reader resumes and fills the cache with version 1.
      loader.release();
      assert.equal((await slowRead).get(p.id)?.version, 1);

      const after = await cache.getMany([p.id], loader.load);
      assert.equal(after.get(p.id)?.version, 2);
      assert.equal(after.get(p.id)?.name, "Renamed while a read was in flight");
      assert.equal((await cache.getMany([p.id], loader.load)).get(p.id)?.version, 2, "the fresh fill is then served");
      assert.equal(loader.state.loads, 2);
    });

    it("stays correct when invalidations from several processes repeat and interleave", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      await store.insert(p);
      const loader = gatedLoader(store);
      // Two processes, one shared store, each applying every event.
      const [a, b] = [createProductCache({ kv, ttlMs: 60_000 }), createProductCache({ kv, ttlMs: 60_000 })];
      await a.getMany([p.id], loader.load);
      // The creation's own event, applied by A: the next read misses.
      await a.invalidate(p.id);
      const reading = loader.holdNext();
      const slowRead = b.getMany([p.id], loader.load);
      await reading;
      await store.update(p.id, { name: "Version two" }, new Date());
      await a.invalidate(p.id);
      loader.release();
      await slowRead;
      // The lagging process applies the same event late, then a replay arrives.
      await b.invalidate(p.id);
      await b.invalidate(p.id);
      for (const cache of [a, b]) assert.equal((await cache.getMany([p.id], loader.load)).get(p.id)?.name, "Version two");
    });

    it("fills from a catalog read that took seconds (a busy catalog), by default", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      await store.insert(p);
      let now = 0;
      const loader = gatedLoader(store);
      const busyLoad = async (ids: readonly string[]) => {
        now += 4_000;
        return loader.load(ids);
      };
      const cache = createProductCache({ kv, ttlMs: 60_000, clock: () => now });
      await cache.getMany([p.id], busyLoad);
      await cache.getMany([p.id], loader.load);
      assert.equal(loader.state.loads, 1, "the 4 s read was stored");
    });

    it("drops a fill whose catalog read outlasted the fill deadline", async () => {
      const store = new EmbeddedProductStore();
      const p = product();
      await store.insert(p);
      let now = 0;
      const loader = gatedLoader(store);
      const slowLoad = async (ids: readonly string[]) => {
        now += 5_000;
        return loader.load(ids);
      };
      const cache = createProductCache({ kv, ttlMs: 60_000, fillDeadlineMs: 1_000, clock: () => now });
      await cache.getMany([p.id], slowLoad);
      await cache.getMany([p.id], loader.load);
      assert.equal(loader.state.loads, 2, "the late fill was not written");
    });
  });
}

defineProductCacheTests("embedded", async () => new EmbeddedKeyValueStore());

describeWithRealEngine({ suite: "product hot cache", engine: "redis", variable: "REDIS_URL" }, (url) => {
  defineProductCacheTests("redis", async () => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    return store;
  });
});

describe("product hot cache without its store", () => {
  it("reads the catalog when the key-value store is down", async () => {
    const kv = new RedisKeyValueStore("redis://127.0.0.1:9");
    const store = new EmbeddedProductStore();
    const p = sampleProduct();
    await store.insert(p);
    const cache = createProductCache({ kv, ttlMs: 60_000 });
    assert.deepEqual((await cache.getMany([p.id], (ids) => store.findByIds(ids))).get(p.id), p);
    await kv.close();
  });
});
