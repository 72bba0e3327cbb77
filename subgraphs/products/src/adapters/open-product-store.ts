import { createLockService, type Config, type KeyValueStore } from "#kernel";
import type { ProductStore } from "../ports/product-store.js";
import { EmbeddedProductStore } from "./embedded-product-store.js";

/**
 * MongoDB when MONGO_URL is set, the in-memory store otherwise. `kv` (the platform's Redis in
 * production) carries the per-product write locks FerretDB needs; see MongoProductStore.
 */
export async function openProductStore(config: Config, options: { kv?: KeyValueStore } = {}): Promise<ProductStore> {
  if (!config.documents.mongoUrl) return new EmbeddedProductStore();
  const { MongoProductStore } = await import("./mongo-product-store.js");
  const locks = options.kv ? createLockService(options.kv) : undefined;
  return MongoProductStore.connect(config.documents.mongoUrl, {
    lock: locks ? (productId, work) => locks.withLock(`product:${productId}`, work, { ttlMs: 5_000, waitMs: 5_000 }) : undefined,
  });
}
