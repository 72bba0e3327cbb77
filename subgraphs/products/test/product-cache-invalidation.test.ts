import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { createLockService, createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, loadConfig, type DomainEvent, type EventBus, type KeyValueStore } from "#kernel";
import { KafkaEventBus, RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine, platformOver, waitFor } from "#kernel/testing";
import { EmbeddedProductStore } from "../src/adapters/embedded-product-store.js";
import { MongoProductStore, type ProductWriteLock } from "../src/adapters/mongo-product-store.js";
import { startProductsSubgraph, type RunningProducts } from "../src/products-subgraph.js";
import type { ProductChangeEvent } from "../src/domain/product.js";
import type { ProductStore } from "../src/ports/product-store.js";
import { namespacedBus } from "./namespaced-bus.js";

interface Engines {
  bus: EventBus;
  kv: KeyValueStore;
  /** The products service's store and a second handle on the same catalog (another process). */
  store: ProductStore;
  otherWriter: ProductStore;
  dispose(): Promise<void>;
}

function defineInvalidationSuite(engine: string, open: () => Promise<Engines>): void {
  describe(`product hot cache invalidation by change events [${engine}]`, { timeout: 60_000 }, () => {
    let engines: Engines;
    let products: RunningProducts;
    const applied = new Map<string, number>();
    let loads = 0;

    before(async () => {
      engines = await open();
      const store = engines.store;
      // Counts catalog reads, to tell cache hits from misses.
      const findByIds = store.findByIds.bind(store);
      store.findByIds = (ids) => ((loads += 1), findByIds(ids));
      const config = loadConfig({ APP_ENV: "test", PRODUCT_CACHE_TTL_MS: "60000" });
      const platform = platformOver({ config, bus: engines.bus, kv: engines.kv, logger: createLogger((process.env.TEST_LOG_LEVEL ?? "silent") as "silent") });
      products = await startProductsSubgraph(platform, {
        port: 0,
        store,
        onCacheInvalidated: (event: DomainEvent<ProductChangeEvent>) => {
          const payload = event.payload;
          const version = payload.type === "ProductUpserted" ? payload.product.version : payload.version;
          applied.set(event.key, Math.max(applied.get(event.key) ?? 0, version));
        },
      });
    });
    after(async () => {
      await products?.close();
      await engines?.dispose();
    });

    it("never serves a version older than the newest change event applied, under concurrent reads", async () => {
      const product = await products.service.create({
        sku: `INV-${randomUUID().slice(0, 8).toUpperCase()}`,
        name: "Invalidation Kettle",
        description: "Boils while the cache churns.",
        priceAmount: 4200,
        currency: "USD",
        category: "home-kitchen",
        brand: "Cachewell",
      });
      await waitFor("the creation event is applied", () => (applied.get(product.id) ?? 0) >= 1);
      const stale: string[] = [];
      let reads = 0;
      let writing = true;
      const readers = Array.from({ length: 4 }, async () => {
        while (writing) {
          // Whatever was applied before this read started must be visible to it.
          const floor = applied.get(product.id) ?? 0;
          const seen = (await products.service.findByIds([product.id])).get(product.id)!.version;
          reads += 1;
          if (seen < floor) stale.push(`read version ${seen} after version ${floor} was applied`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      });
      const loadsBefore = loads;
      for (let i = 1; i <= 8; i++) {
        // Another process's write: its own invalidation is not in this process, only its event.
        const written = await engines.otherWriter.update(product.id, { price: { amount: 4200 + i, currency: "USD" } }, new Date());
        await waitFor(`the event of version ${written!.version} is applied`, () => (applied.get(product.id) ?? 0) >= written!.version, { timeoutMs: 10_000 });
        const now = (await products.service.findByIds([product.id])).get(product.id)!;
        assert.equal(now.price.amount, 4200 + i, "read right after the event");
      }
      writing = false;
      await Promise.all(readers);
      assert.deepEqual(stale, []);
      assert.ok(reads - (loads - loadsBefore) > reads / 2, `most of ${reads} reads were cache hits (${loads - loadsBefore} catalog reads)`);
    });
  });
}

defineInvalidationSuite("embedded", async () => {
  const store = new EmbeddedProductStore();
  return { bus: new EmbeddedEventBus(), kv: new EmbeddedKeyValueStore(), store, otherWriter: store, dispose: async () => {} };
});

describeWithRealEngine({ suite: "product hot cache invalidation", engine: "redis+kafka+mongodb", variable: "REDIS_URL" }, (redisUrl) => {
  defineInvalidationSuite("redis+kafka+mongodb", async () => {
    const [mongoUrl, brokers] = [process.env.MONGO_URL, process.env.KAFKA_BROKERS];
    if (!mongoUrl || !brokers) throw new Error("MONGO_URL and KAFKA_BROKERS must be set with REDIS_URL");
    const run = randomUUID().replaceAll("-", "").slice(0, 10);
    const database = `cache_${run}`;
    const kafka = new KafkaEventBus({ brokers: brokers.split(","), clientId: `cache-test-${run}` });
    const kv = new RedisKeyValueStore(redisUrl);
    await kv.connect();
    // Both "processes" take the per-product write locks on the shared Redis, as production does.
    const locks = createLockService(kv);
    const lock: ProductWriteLock = (productId, work) => locks.withLock(`product:${productId}`, work, { ttlMs: 5_000, waitMs: 5_000 });
    const store = await MongoProductStore.connect(mongoUrl, { database, lock });
    const otherWriter = await MongoProductStore.connect(mongoUrl, { database, lock });
    return {
      bus: namespacedBus(`cache-${run}`)(kafka),
      kv,
      store,
      otherWriter,
      async dispose() {
        await otherWriter.close();
        await kafka.close();
        await kv.close();
        const client = await MongoClient.connect(mongoUrl);
        await client.db(database).dropDatabase();
        await client.close();
      },
    };
  });
});
