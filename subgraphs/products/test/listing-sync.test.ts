import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLockService, createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, newEvent, Topics, type EventBus } from "#kernel";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { waitFor } from "#kernel/testing";
import type { Product, ProductChangeEvent } from "../src/domain/product.js";
import { EmbeddedListingIndex } from "../src/adapters/embedded-listing-index.js";
import { MongoListingIndex } from "../src/adapters/mongo-listing-index.js";
import { startListingSync } from "../src/listing/listing-feeds.js";
import type { ListingIndex } from "../src/ports/listing-index.js";
import { listedProduct } from "./listing-index.contract.js";

const locks = createLockService(new EmbeddedKeyValueStore());
const upserted = (product: Product) => newEvent<ProductChangeEvent>("ProductUpserted", product.id, { type: "ProductUpserted", product });
const deleted = (productId: string) => newEvent<ProductChangeEvent>("ProductDeleted", productId, { type: "ProductDeleted", productId, version: 2 });

/** Counts the sync calls and the products they carry, around any index. */
function counting(index: ListingIndex) {
  const counts = { calls: 0, products: 0 };
  const sync = index.sync.bind(index);
  index.sync = async (products) => {
    counts.calls += 1;
    counts.products += products.size;
    return sync(products);
  };
  return counts;
}

async function everyId(index: ListingIndex) {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await index.list({ first: 100, after, sort: { field: "NAME", direction: "ASC" }, filter: {} });
    ids.push(...page.items.map((item) => item.id));
    if (!page.hasNextPage) return ids.sort();
    after = page.endKey!;
  }
}

function defineListingSyncCases(engines: string, open: () => Promise<{ bus: EventBus; listings: ListingIndex; close(): Promise<void> }>) {
  describe(`listing sync from change events [${engines}]`, () => {
    it("lists a burst of 400 new products in batches, each once, with later versions and deletions applied in order", async () => {
      const { bus, listings, close } = await open();
      const counts = counting(listings);
      const subscription = await startListingSync({ bus, listings, logger: createLogger("silent") });
      try {
        const products = Array.from({ length: 400 }, () => listedProduct({ category: "books" }));
        await bus.publish(Topics.productChanged, products.map(upserted));
        // A renamed version and a deletion of products already in the burst, behind it.
        const renamed = { ...products[5]!, name: "Zz renamed", version: 2 } as Product;
        await bus.publish(Topics.productChanged, [upserted(renamed), deleted(products[6]!.id), upserted(products[5]!)]);
        const expected = products.filter((_, i) => i !== 6).map((product) => product.id).sort();
        await waitFor("every product is listed", async () => JSON.stringify(await everyId(listings)) === JSON.stringify(expected), { timeoutMs: 60_000, intervalMs: 200 });
        const last = await listings.list({ first: 1, sort: { field: "NAME", direction: "DESC" }, filter: {} });
        assert.equal(last.items[0]!.id, renamed.id, "the stale redelivery of version 1 does not undo the rename");
        assert.ok(counts.calls < counts.products / 4, `${counts.calls} sync calls for ${counts.products} products: changes are listed together`);
      } finally {
        await subscription.stop();
        await close();
      }
    });
  });
}

defineListingSyncCases("embedded", async () => {
  const bus = new EmbeddedEventBus();
  return { bus, listings: new EmbeddedListingIndex(), close: () => bus.close() };
});

const mongoUrl = process.env.MONGO_URL;
const brokers = process.env.KAFKA_BROKERS;
if (mongoUrl && brokers) {
  defineListingSyncCases("kafka + mongodb", async () => {
    const run = randomUUID().slice(0, 8);
    const bus = new KafkaEventBus({ brokers: brokers.split(",").map((b) => b.trim()), clientId: `listing-sync-${run}`, topicPrefix: `listing-sync-${run}.`, maxBackoffMs: 50 });
    const listings = await MongoListingIndex.connect(mongoUrl, { database: "storefront_test", collection: `listing_sync_${run}`, lock: (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 20_000 }) });
    return {
      bus,
      listings,
      async close() {
        await bus.close();
        await listings.drop();
        await listings.close();
      },
    };
  });
}
