import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedStockCache } from "../src/adapters/embedded-stock-cache.js";
import { RedisStockCache } from "../src/adapters/redis-stock-cache.js";
import { defineStockCacheContract } from "./stock-cache.contract.js";
import { replaceMirror } from "./support/replace-mirror.js";
import { countedRedis } from "../../../gateway/test/support/counted-redis.js";

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
  /** A mirror under a namespace of its own, and what an older build's rebuild writes into it: its counters and its marker, nothing else. */
  async function withOlderBuild(body: (cache: RedisStockCache, olderBuildFinishes: () => Promise<void>) => Promise<void>): Promise<void> {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    const namespace = `rolling-${randomUUID().slice(0, 8)}:`;
    const cache = new RedisStockCache(store.client, { namespace });
    try {
      await body(cache, async () => void (await store.client.mset(`${namespace}stock:a`, "7", `${namespace}stock-epoch`, "older-build")));
    } finally {
      const keys = await store.client.keys(`${namespace}*`);
      if (keys.length > 0) await store.client.del(...keys);
      await cache.close();
      await store.close();
    }
  }

  it("stops a rebuild once a build that knows no rebuild keys sets its own marker meanwhile", () =>
    withOlderBuild(async (cache, olderBuildFinishes) => {
      const epoch = randomUUID();
      await cache.beginRebuild(epoch);
      await olderBuildFinishes();
      assert.equal(await cache.adjust(epoch, [{ variantId: "a", delta: -1 }]), false);
      assert.equal(await cache.fillRebuild(epoch, [{ variantId: "a", available: 50 }]), false);
      assert.deepEqual(await cache.read(["a"]), { epoch: "older-build", rebuilding: epoch, available: [7] });
    }));

  it("vouches for no marker a build that writes no completion set after a completed rebuild", () =>
    withOlderBuild(async (cache, olderBuildFinishes) => {
      const epoch = randomUUID();
      await replaceMirror(cache, epoch, [{ variantId: "a", available: 5 }]);
      assert.equal(await cache.completedEpoch(), epoch);
      await olderBuildFinishes();
      assert.equal(await cache.completedEpoch(), null);
    }));
});

describeWithRealEngine({ suite: "RedisStockCache's settling", engine: "redis", variable: "REDIS_URL" }, (url) => {
  it("settles the admissions of one turn of the event loop with one ZREM, each caller told once it is done", async () => {
    const counted = await countedRedis(url);
    const namespace = `settling-${randomUUID().slice(0, 8)}:`;
    const cache = new RedisStockCache(counted.redis, { namespace });
    try {
      const epoch = randomUUID();
      await replaceMirror(cache, epoch, [{ variantId: "a", available: 100 }]);
      const tokens = Array.from({ length: 6 }, () => randomUUID());
      for (const token of tokens) assert.deepEqual(await cache.reserve(epoch, `r-${token}`, [{ variantId: "a", quantity: 1 }], token), { kind: "reserved" });
      const [commands, writes] = [counted.commands, counted.writes];
      // As ledger answers arriving in one turn settle them: each a caller of its own.
      await Promise.all(tokens.map((token) => cache.settleAdmission(epoch, token)));
      assert.deepEqual([counted.commands - commands, counted.writes - writes], [1, 1], "one ZREM for six settles (it was six)");
      assert.equal(await cache.unsettledAdmissions(0), 0, "every one settled");
      // A settle asked in a later turn goes in a ZREM of its own, and a member gone already is no error.
      await cache.settleAdmission(epoch, tokens[0]!);
      assert.equal(counted.commands - commands, 3, "the ZREM, the count, and this turn's ZREM");
    } finally {
      const keys = await counted.redis.keys(`${namespace}*`);
      if (keys.length > 0) await counted.redis.del(...keys);
      await cache.close();
      counted.redis.disconnect();
    }
  });
});
