import { createLockService, type Config, type KeyValueStore } from "#kernel";
import type { CategoryStore } from "../ports/category-store.js";
import type { ListingIndex } from "../ports/listing-index.js";
import { EmbeddedCategoryStore } from "./embedded-category-store.js";
import { EmbeddedListingIndex } from "./embedded-listing-index.js";

/** The listings and category tree beside the catalog: on MongoDB when MONGO_URL is set, in memory otherwise. */
export async function openListingStores(config: Config, options: { kv?: KeyValueStore } = {}): Promise<{ listings: ListingIndex; categories: CategoryStore }> {
  if (!config.documents.mongoUrl) return { listings: new EmbeddedListingIndex(), categories: new EmbeddedCategoryStore() };
  const [{ MongoListingIndex }, { MongoCategoryStore }] = await Promise.all([import("./mongo-listing-index.js"), import("./mongo-category-store.js")]);
  const locks = options.kv ? createLockService(options.kv) : undefined;
  const listings = await MongoListingIndex.connect(config.documents.mongoUrl, {
    lock: locks ? (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 10_000 }) : undefined,
  });
  const categories = await MongoCategoryStore.connect(config.documents.mongoUrl);
  return { listings, categories };
}
