import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, createSubgraphClient, loadConfig, openPlatform, type Platform, type SubgraphClient } from "#kernel";
import { createTestDatabase } from "../../../../test/support/test-database.js";
import { startInventorySubgraph, type RunningInventory } from "../../src/inventory-subgraph.js";
import { EmbeddedStockCache } from "../../src/adapters/embedded-stock-cache.js";
import { waitUntilTrusted } from "../support/proof-helpers.js";

/** The embedded mirror, counting the reads that reach it. */
class CountingStockCache extends EmbeddedStockCache {
  reads: string[][] = [];
  override async read(variantIds: readonly string[]) {
    this.reads.push([...variantIds]);
    return super.read(variantIds);
  }
}

const ids = Array.from({ length: 40 }, (_, i) => `prod_${String(i + 1).padStart(7, "0")}`);
const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id stock inStock } } }`;

describe("Product.stock and Product.inStock on the inventory subgraph", () => {
  let drop: () => Promise<void>;
  let platform: Platform;
  let inventory: RunningInventory;
  let client: SubgraphClient;
  const cache = new CountingStockCache();

  before(async () => {
    const db = await createTestDatabase("embedded");
    drop = db.drop;
    const config = loadConfig({ APP_ENV: "test", DATABASE_URL: db.url });
    platform = await openPlatform(config, createLogger("silent"));
    inventory = await startInventorySubgraph(platform, { port: 0, cache });
    client = createSubgraphClient({ url: inventory.url, internalSecret: config.auth.internalSecret, serviceName: "gateway-test" });
    await inventory.service.seedStock(ids.map((variantId, i) => ({ variantId, stock: i % 4 })));
    await waitUntilTrusted(inventory.service);
  });
  after(async () => {
    await client?.close();
    await inventory?.close();
    await platform?.close();
    await drop?.();
  });

  const fetchAll = async () => {
    const data = await client.request<{ _entities: { id: string; stock: number; inStock: boolean }[] }>(entities, { r: ids.map((id) => ({ __typename: "Product", id })) });
    return data._entities;
  };

  it("answers 40 products with one batched mirror read", async () => {
    cache.reads = [];
    const products = await fetchAll();
    assert.deepEqual(products, ids.map((id, i) => ({ id, stock: i % 4, inStock: i % 4 > 0 })));
    assert.equal(cache.reads.length, 1);
    assert.deepEqual(cache.reads[0], ids);
  });

  it("answers from the ledger, still correctly, while the mirror is down", async () => {
    cache.down();
    try {
      const products = await fetchAll();
      assert.deepEqual(products.map((p) => p.stock), ids.map((_, i) => i % 4));
    } finally {
      cache.up();
    }
  });

  it("gives 0 for products without recorded stock", async () => {
    const data = await client.request<{ _entities: unknown[] }>(entities, { r: [{ __typename: "Product", id: "prod_unknown" }] });
    assert.deepEqual(data._entities, [{ id: "prod_unknown", stock: 0, inStock: false }]);
  });
});
