import { createLockService, createLogger, type Config, type KeyValueStore, type Logger } from "#kernel";
import type { ProductStore } from "../ports/product-store.js";
import { EmbeddedProductStore } from "./embedded-product-store.js";

/**
 * MongoDB when MONGO_URL is set, the embedded store otherwise (journaled in
 * EMBEDDED_DATA_DIR/documents unless tests run it in memory). `kv` (the platform's Redis in
 * production) carries the per-product write locks FerretDB needs; see MongoProductStore.
 */
export async function openProductStore(config: Config, options: { kv?: KeyValueStore; logger?: Logger } = {}): Promise<ProductStore> {
  if (!config.documents.mongoUrl) {
    const dir = config.documents.embeddedDir;
    if (!dir) return new EmbeddedProductStore();
    const logger = options.logger ?? createLogger(config.logLevel, { service: "products" });
    return EmbeddedProductStore.open(dir, { onWarning: (message, detail) => logger.warn(message, detail) });
  }
  const [{ MongoProductStore }, { slowIdlePoolChecks }] = await Promise.all([import("./mongo-product-store.js"), import("./mongo-idle-pool-check.js")]);
  // Process-wide: every pool, the listing and category stores' too, from its next check on.
  slowIdlePoolChecks();
  const locks = options.kv ? createLockService(options.kv) : undefined;
  return MongoProductStore.connect(config.documents.mongoUrl, {
    lock: locks ? (productId, work) => locks.withLock(`product:${productId}`, work, { ttlMs: 5_000, waitMs: 5_000 }) : undefined,
  });
}
