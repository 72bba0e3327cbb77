import { dirname, join } from "node:path";
import { createLockService, type Config, type KeyValueStore, type Logger } from "#kernel";
import type { CategoryStore } from "../ports/category-store.js";
import type { ListingIndex } from "../ports/listing-index.js";
import type { SalesLedger } from "../ports/sales-ledger.js";
import { EmbeddedSalesLedger } from "./embedded-sales-ledger.js";
import { EmbeddedCategoryStore } from "./embedded-category-store.js";
import { EmbeddedListingIndex } from "./embedded-listing-index.js";

/**
 * The listings and category tree beside the catalog: on MongoDB when MONGO_URL is set,
 * embedded otherwise, journaled next to the catalog's documents (EMBEDDED_DATA_DIR/listings,
 * /categories and /sales) unless tests run them in memory.
 */
export async function openListingStores(config: Config, options: { kv?: KeyValueStore; logger?: Logger } = {}): Promise<{ listings: ListingIndex; categories: CategoryStore; sales: SalesLedger }> {
  if (!config.documents.mongoUrl) {
    const dir = config.documents.embeddedDir;
    if (!dir) return { listings: new EmbeddedListingIndex(), categories: new EmbeddedCategoryStore(), sales: new EmbeddedSalesLedger() };
    const onWarning = (message: string, detail: Record<string, unknown>) => options.logger?.warn(message, detail);
    const listings = await EmbeddedListingIndex.open(join(dirname(dir), "listings"), { onWarning });
    const opened: { close(): Promise<void> }[] = [listings];
    try {
      const categories = await EmbeddedCategoryStore.open(join(dirname(dir), "categories"), { onWarning });
      opened.push(categories);
      const sales = await EmbeddedSalesLedger.open(join(dirname(dir), "sales"), { onWarning });
      return { listings, categories, sales };
    } catch (error) {
      for (const store of opened) await store.close();
      throw error;
    }
  }
  const [{ MongoListingIndex }, { MongoCategoryStore }] = await Promise.all([import("./mongo-listing-index.js"), import("./mongo-category-store.js")]);
  const locks = options.kv ? createLockService(options.kv) : undefined;
  const listings = await MongoListingIndex.connect(config.documents.mongoUrl, {
    leafFormat: config.catalog.listingLeafFormat,
    lock: locks ? (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 10_000 }) : undefined,
  });
  const categories = await MongoCategoryStore.connect(config.documents.mongoUrl);
  return { listings, categories, sales: listings.sales };
}
