import type { Config } from "#kernel";
import type { ProductStore } from "../ports/product-store.js";
import { EmbeddedProductStore } from "./embedded-product-store.js";

/** MongoDB when MONGO_URL is set, the in-memory store otherwise. */
export async function openProductStore(config: Config): Promise<ProductStore> {
  if (!config.documents.mongoUrl) return new EmbeddedProductStore();
  const { MongoProductStore } = await import("./mongo-product-store.js");
  return MongoProductStore.connect(config.documents.mongoUrl);
}
