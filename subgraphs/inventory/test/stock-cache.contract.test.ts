import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedStockCache } from "../src/adapters/embedded-stock-cache.js";
import { RedisStockCache } from "../src/adapters/redis-stock-cache.js";
import { defineStockCacheContract } from "./stock-cache.contract.js";

defineStockCacheContract("embedded", async (_namespace, options) => new EmbeddedStockCache(options));

describeWithRealEngine({ suite: "StockCache contract", engine: "redis", variable: "REDIS_URL" }, (url) => {
  defineStockCacheContract("redis", async (namespace, options) => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    const cache = new RedisStockCache(store.client, { namespace, ...options });
    const closeCache = cache.close.bind(cache);
    cache.close = async () => {
      // Leave the shared server as it was found.
      const keys = await store.client.keys(`${namespace}stock*`);
      if (keys.length > 0) await store.client.del(...keys);
      await closeCache();
      await store.close();
    };
    return cache;
  });
});

describeWithRealEngine({ suite: "RedisStockCache during a rolling update", engine: "redis", variable: "REDIS_URL" }, (url) => {
  it("stops a rebuild once a build that knows no rebuild keys sets its own marker meanwhile", async () => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    const namespace = `rolling-${randomUUID().slice(0, 8)}:`;
    const cache = new RedisStockCache(store.client, { namespace });
    try {
      const epoch = randomUUID();
      await cache.beginRebuild(epoch);
      // What an older build's rebuild leaves: its counters and its marker, the rebuild keys untouched.
      await store.client.mset(`${namespace}stock:a`, "7", `${namespace}stock-epoch`, "older-build");
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: -1 }]), false);
      assert.equal(await cache.fillRebuild(epoch, [{ variantId: "a", available: 50 }]), false);
      assert.deepEqual(await cache.read(["a"]), { epoch: "older-build", rebuilding: epoch, available: [7] });
    } finally {
      const keys = await store.client.keys(`${namespace}*`);
      if (keys.length > 0) await store.client.del(...keys);
      await cache.close();
      await store.close();
    }
  });
});
