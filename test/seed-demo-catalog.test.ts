import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomUUID } from "node:crypto";
import { createLockService, createLogger, DomainError, EmbeddedEventBus, EmbeddedKeyValueStore, ErrorCode, InventoryEventTypes, newEvent, productIdOfVariant, Topics, type StockChangedPayload } from "#kernel";
import { waitFor } from "#kernel/testing";
import { seedDemoCatalog } from "../platform/seed-demo-catalog.js";
import { EmbeddedProductStore } from "../subgraphs/products/src/adapters/embedded-product-store.js";
import { EmbeddedListingIndex } from "../subgraphs/products/src/adapters/embedded-listing-index.js";
import { MongoListingIndex } from "../subgraphs/products/src/adapters/mongo-listing-index.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { startStockFlags } from "../subgraphs/products/src/listing/listing-feeds.js";
import { seedListing, type SeededStock } from "../subgraphs/products/src/listing/seed-listing.js";
import type { ListingIndex } from "../subgraphs/products/src/ports/listing-index.js";

const logger = createLogger("silent");
/** What the lock service answers when a lock stays taken past its wait. */
const conflict = (resource: string) => new DomainError(ErrorCode.CONFLICT, "The resource is busy; please retry", { resource });

/**
 * The demo seed lists each batch while the previous batch's stock events are applied to the
 * same listings; on a loaded machine a whole-catalog listing's lock can stay taken past one
 * wait (CONFLICT). A start once died on that: the seed now lists the batch again.
 */
describe("seeding the demo catalog while its listings are busy", () => {
  it("lists a batch again after CONFLICT answers, and every product is listed once", async () => {
    const listed: string[] = [];
    let refusals = 3;
    const seeded = await seedDemoCatalog({
      store: new EmbeddedProductStore(),
      count: 40,
      logger,
      list: async (products) => {
        if (refusals-- > 0) throw conflict("listing:PRICE|*");
        listed.push(...products.map((product) => product.id));
      },
    });
    assert.equal(seeded, 40);
    assert.equal(listed.length, 40);
    assert.equal(new Set(listed).size, 40);
  });

  it("gives up past its deadline, and at once on any other error", async () => {
    const busy = seedDemoCatalog({ store: new EmbeddedProductStore(), count: 10, logger, busyRetryMs: 300, list: async () => Promise.reject(conflict("listing:PRICE|*")) });
    await assert.rejects(busy, (error) => (error as { extensions?: { code?: string } }).extensions?.code === "CONFLICT");
    let calls = 0;
    const broken = seedDemoCatalog({
      store: new EmbeddedProductStore(),
      count: 10,
      logger,
      list: async () => {
        calls++;
        throw new Error("listing collection is gone");
      },
    });
    await assert.rejects(broken, /listing collection is gone/);
    assert.equal(calls, 1);
  });
});

describe("seeding the demo catalog", () => {
  it("announces each batch once it is written, so its change events need not wait for the relay's poll", async () => {
    const store = new EmbeddedProductStore();
    const pending: Promise<number>[] = [];
    await seedDemoCatalog({ store, count: 1_200, logger, announce: () => void pending.push(store.unpublishedChanges(5_000).then((changes) => changes.length)) });
    assert.deepEqual(await Promise.all(pending), [500, 1_000, 1_200]);
  });
});

/** The StockChanged events inventory sends for seeded levels (created: delta = units). */
const createdStock = (levels: readonly SeededStock[]) =>
  levels.map(({ variantId, stock }) =>
    newEvent<StockChangedPayload>(InventoryEventTypes.stockChanged, productIdOfVariant(variantId), { variantId, productId: productIdOfVariant(variantId), available: stock, delta: stock }),
  );

const inStockIds = async (listings: ListingIndex) => {
  const ids: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await listings.list({ first: 100, after, sort: { field: "NEWEST", direction: "DESC" }, filter: { inStock: true } });
    ids.push(...page.items.map((item) => item.id));
    if (!page.hasNextPage) return ids.sort();
    after = page.endKey!;
  }
};

/**
 * The seed's stock events once moved every product of a batch in every listing it is in (it
 * was listed out of stock until its event came): hundreds of whole-catalog listing writes a
 * batch, whose locks the seed met while it listed the next batch.
 */
describe("seeding the demo catalog's listings with their stock", () => {
  it("lists every seeded product with stock as in stock before any stock event arrives", async () => {
    const listings = new EmbeddedListingIndex();
    await seedDemoCatalog({ store: new EmbeddedProductStore(), count: 150, logger, ...seedListing(listings) });
    const stocked = [...generateCatalog({ count: 150 })].filter((g) => g.variantStock.some((level) => level.stock > 0)).map((g) => g.product.id);
    assert.ok(stocked.length > 100, "the demo catalog stocks most products");
    assert.deepEqual(await inStockIds(listings), stocked.sort());
  });

  it("goes on when the listings cannot be told the stock: the stock events tell them later", async () => {
    const listings = new EmbeddedListingIndex();
    const listed: string[] = [];
    const seeded = await seedDemoCatalog({
      store: new EmbeddedProductStore(),
      count: 30,
      logger,
      listStock: async () => Promise.reject(new Error("timeout: read tcp 127.0.0.1:41358->127.0.0.1:5432: i/o timeout")),
      list: async (products) => {
        listed.push(...products.map((product) => product.id));
        await seedListing(listings).list(products);
      },
    });
    assert.equal(seeded, 30);
    assert.equal(listed.length, 30);
  });

  it("lists each batch before its change events are announced and inventory is given its stock", async () => {
    const steps: string[] = [];
    await seedDemoCatalog({
      store: new EmbeddedProductStore(),
      count: 600,
      logger,
      listStock: async (levels) => void steps.push(`listStock ${new Set(levels.map((level) => productIdOfVariant(level.variantId))).size}`),
      list: async (products) => void steps.push(`list ${products.length}`),
      announce: () => void steps.push("announce"),
      stock: async () => void steps.push("stock"),
    });
    // Listed first, the change feed and the stock flags find nothing to write in the listings.
    assert.deepEqual(steps, ["listStock 500", "list 500", "announce", "stock", "listStock 100", "list 100", "announce", "stock"]);
  });

  const mongoUrl = process.env.MONGO_URL;
  it("on MongoDB, the seed's stock events then take no listing's lock", { skip: !mongoUrl && "MONGO_URL is not set" }, async () => {
    const locks = createLockService(new EmbeddedKeyValueStore());
    const taken: string[] = [];
    const listings = await MongoListingIndex.connect(mongoUrl!, {
      database: "storefront_test",
      collection: `seed_stock_${randomUUID().slice(0, 8)}`,
      lock: (resource, work) => locks.withLock(resource, () => (taken.push(resource), work()), { ttlMs: 10_000, waitMs: 20_000 }),
    });
    const bus = new EmbeddedEventBus();
    let applied = 0;
    const flags = await startStockFlags({ bus, listings, logger, onApplied: () => applied++ });
    try {
      const levels: SeededStock[] = [];
      await seedDemoCatalog({ store: new EmbeddedProductStore(), count: 120, logger, ...seedListing(listings), stock: async (batch) => void levels.push(...batch) });
      taken.length = 0;
      // Delivered after the listing, as inventory's outbox and the broker deliver them.
      await bus.publish(Topics.stockChanged, createdStock(levels));
      await waitFor("every stock event is applied", () => applied === levels.length, { timeoutMs: 60_000 });
      assert.deepEqual(taken.filter((resource) => resource.startsWith("listing:")), []);
      assert.ok((await inStockIds(listings)).length > 80);
    } finally {
      await flags.stop();
      await bus.close();
      await listings.drop();
      await listings.close();
    }
  });
});
