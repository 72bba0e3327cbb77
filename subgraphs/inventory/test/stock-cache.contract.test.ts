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
