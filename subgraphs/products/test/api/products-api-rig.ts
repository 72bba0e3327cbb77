import assert from "node:assert/strict";
import { createSubgraphClient, EmbeddedEventBus, EmbeddedKeyValueStore, loadConfig, type Identity, type SubgraphClient } from "#kernel";
import { platformOver } from "#kernel/testing";
import { startProductsSubgraph, type RunningProducts } from "../../src/products-subgraph.js";
import type { ProductStore } from "../../src/ports/product-store.js";
import type { ProductImagesOptions } from "../../src/images/start-product-images.js";

export const admin: Identity = { userId: "usr_admin", roles: ["admin"] };
export const shopper: Identity = { userId: "usr_shopper", roles: ["customer"] };

export interface ProductsApiRig {
  products: RunningProducts;
  client: SubgraphClient;
  bus: EmbeddedEventBus;
  asAdmin<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The products subgraph in-process on the embedded engines, with no hot cache (every read
 * reaches the store, so tests can count them) and no demo seed, and a client that calls it
 * as the gateway would.
 */
export async function startProductsApi(
  options: { store?: ProductStore; images?: ProductImagesOptions; env?: Record<string, string> } = {},
): Promise<ProductsApiRig> {
  const bus = new EmbeddedEventBus();
  const config = loadConfig({ APP_ENV: "test", PRODUCT_CACHE_TTL_MS: "0", SEED_PRODUCTS: "0", ...options.env });
  const platform = platformOver({ config, bus, kv: new EmbeddedKeyValueStore() });
  // No gateway here: image URLs name the products subgraph's own origin route.
  let origin = "http://127.0.0.1:0";
  const products = await startProductsSubgraph(platform, { port: 0, store: options.store, images: { gatewayOrigin: () => origin, ...options.images } });
  origin = products.url.replace(/\/graphql$/, "");
  const client = createSubgraphClient({ url: products.url, audience: "products", internalSecret: config.auth.internalSecret, serviceName: "gateway-test" });
  return {
    products,
    client,
    bus,
    asAdmin: (query, variables = {}) => client.request(query, variables, { identity: admin }),
    async close() {
      await client.close();
      await products.close();
      await bus.close();
    },
  };
}

/** Asserts the operation fails with the coded error, and its message when given. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: { extensions?: { code?: string }; message: string }) => {
    assert.equal(error.extensions?.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}
