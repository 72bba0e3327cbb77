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
/** A product with options: 12 variants, the i-th with i units (the first sold out). */
const TEE = "prod_tee";
const teeVariants = Array.from({ length: 12 }, (_, i) => `${TEE}:${i + 1}`);
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
    client = createSubgraphClient({ url: inventory.url, audience: "inventory", internalSecret: config.auth.internalSecret, serviceName: "gateway-test" });
    await inventory.service.seedStock([...ids.map((variantId, i) => ({ variantId, stock: i % 4 })), ...teeVariants.map((variantId, i) => ({ variantId, stock: i }))]);
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

  it("answers a product page (the product and its 12 variants) with one mirror read", async () => {
    const page = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id stock inStock } ... on ProductVariant { id stock inStock } } }`;
    // The mirror was down in an earlier test: rebuilt before this one counts.
    await waitUntilTrusted(inventory.service);
    cache.reads = [];
    // As the gateway sends them: the product with its variants' ids (@requires), and each variant.
    const representations = [
      { __typename: "Product", id: TEE, variants: teeVariants.map((id) => ({ id })) },
      ...teeVariants.map((id) => ({ __typename: "ProductVariant", id })),
    ];
    const data = await client.request<{ _entities: { id: string; stock: number; inStock: boolean }[] }>(page, { r: representations });
    const total = teeVariants.reduce((sum, _, i) => sum + i, 0);
    assert.deepEqual(data._entities, [{ id: TEE, stock: total, inStock: true }, ...teeVariants.map((id, i) => ({ id, stock: i, inStock: i > 0 }))]);
    assert.equal(cache.reads.length, 1, "one read for the product and all its variants");
    assert.deepEqual([...cache.reads[0]!].sort(), [...teeVariants].sort());
  });

  it("sums a product referenced without its variants over the variants the ledger has stock for", async () => {
    const data = await client.request<{ _entities: unknown[] }>(entities, { r: [{ __typename: "Product", id: TEE }] });
    assert.deepEqual(data._entities, [{ id: TEE, stock: teeVariants.reduce((sum, _, i) => sum + i, 0), inStock: true }]);
  });

  it("answers a 10 KB variant id with no stock, without reading anything", async () => {
    cache.reads = [];
    const long = `prod_${"x".repeat(10_000)}`;
    const data = await client.request<{ _entities: unknown[] }>(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id stock } } }`, {
      r: [{ __typename: "ProductVariant", id: long }],
    });
    assert.deepEqual(data._entities, [{ id: long, stock: 0 }]);
    assert.equal(cache.reads.length, 0);
  });

  it("gives 0 for products without recorded stock", async () => {
    const data = await client.request<{ _entities: unknown[] }>(entities, { r: [{ __typename: "Product", id: "prod_unknown" }] });
    assert.deepEqual(data._entities, [{ id: "prod_unknown", stock: 0, inStock: false }]);
  });
});
