// Sorted and filtered listings (products(filter, sort)) at the design's size on the configured
// document engine: the first page of every sort both ways, deep pages, categories (a parent's
// merges its children's), filters. Reuses (or loads) the catalog bench/catalog-at-scale.ts
// loads, then lists it (scripts/catalog/rebuild-listings.ts does the same for a live catalog).
//
//   eval "$(scripts/services.sh env)"
//   nice -n 10 npx tsx bench/catalog-listings-at-scale.ts --products 100000 [--duration 5] [--connections 1]
//
// Figures are for the listing service, index and product store in this process (no HTTP, no
// hot cache: every read goes to the engine), p50/p99 over closed-loop clients.
import { parseArgs } from "node:util";
import { createLockService, EmbeddedKeyValueStore, loadConfig } from "#kernel";
import { MongoProductStore } from "../subgraphs/products/src/adapters/mongo-product-store.js";
import { MongoListingIndex } from "../subgraphs/products/src/adapters/mongo-listing-index.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { CategoryTree } from "../subgraphs/products/src/categories/category.js";
import { DEMO_CATEGORY_TREE } from "../subgraphs/products/src/categories/demo-category-tree.js";
import { listingCursor } from "../subgraphs/products/src/listing/listing-cursor.js";
import { listingFacts, listingKey } from "../subgraphs/products/src/listing/listing-facts.js";
import { SORT_FIELDS, type ListingSort } from "../subgraphs/products/src/listing/listing-query.js";
import { createProductListingService, type ListingArgs } from "../subgraphs/products/src/listing/product-listing.service.js";
import type { Product } from "../subgraphs/products/src/domain/product.js";
import { measureClosedLoop } from "./harness/closed-loop.js";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "100000" },
    database: { type: "string" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "1" },
    // List only the first N products of the catalog (listings of N products, every product
    // readable by id): an existing large catalog measured without listing all of it.
    listed: { type: "string" },
  },
});
const size = Number(values.products);
const durationMs = Number(values.duration) * 1000;
const connections = Number(values.connections);
const mongoUrl = loadConfig().documents.mongoUrl;
if (!mongoUrl) throw new Error("MONGO_URL is not set: this benchmark measures a real document engine");
const database = values.database ?? `bench_catalog_${size}`;
const listedCount = Number(values.listed ?? size);

const store = await MongoProductStore.connect(mongoUrl, { database, maxPoolSize: 16 });
if ((await store.count({})) !== size) {
  // Only a database of this benchmark's own is ever dropped and loaded again.
  if (!database.startsWith("bench_catalog_")) throw new Error(`${database} does not hold ${size} products; load it first (scripts/catalog/generate.ts)`);
  await store.drop();
  const startedAt = performance.now();
  let batch: Product[] = [];
  for (const { product } of generateCatalog({ count: size })) {
    batch.push(product);
    if (batch.length === 1_000) await store.insertMany(batch.splice(0), { announce: false });
  }
  if (batch.length) await store.insertMany(batch, { announce: false });
  console.log(`loaded ${size} products into ${database} in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
}
const locks = createLockService(new EmbeddedKeyValueStore());
const listings = await MongoListingIndex.connect(mongoUrl, { database, collection: listedCount === size ? "products" : `listed_${listedCount}`, maxPoolSize: 16, lock: (resource, work) => locks.withLock(resource, work, { ttlMs: 60_000, waitMs: 60_000 }) });
if (await listings.isEmpty()) {
  // The catalog is the generator's, deterministic: listed from the generator rather than read
  // back from the store (scripts/catalog/rebuild-listings.ts reads the store; here the store's
  // block-by-block scan would take most of the time). One big batch per 100,000: each batch
  // inserts into every leaf of a listing once.
  const startedAt = performance.now();
  let batch: Product[] = [];
  let listed = 0;
  for (const { product } of generateCatalog({ count: listedCount })) {
    batch.push(product);
    if (batch.length === 100_000) {
      await listings.load(batch.splice(0));
      console.log(`listed ${(listed += 100_000)} (${((performance.now() - startedAt) / 1000).toFixed(0)} s)`);
    }
  }
  if (batch.length) await listings.load(batch);
  console.log(`listed ${listedCount} products in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
}

const tree = new CategoryTree(DEMO_CATEGORY_TREE);
const service = createProductListingService({ listings, tree: async () => tree, findByIds: (ids) => store.findByIds(ids), count: (category) => store.count({ category }) });

async function measure(name: string, op: (n: number) => Promise<void>) {
  const figures = await measureClosedLoop(name, op, { clients: connections, ms: durationMs });
  console.log(`${name.padEnd(60)} ${String(figures.ops).padStart(6)} ops  p50 ${figures.p50} ms  p99 ${figures.p99} ms  max ${figures.max} ms`);
  return figures;
}

const page = async (args: ListingArgs, expect = 20) => {
  const result = await service.list({ first: 20, ...args });
  if (result.edges.length < expect) throw new Error(`${JSON.stringify(args)}: ${result.edges.length} products instead of ${expect}`);
  return result;
};
// Positions spread over the whole catalog, as a crawler's cursors would be.
const spreadProducts = Array.from({ length: 50 }, (_, i) => generateCatalog({ count: 1, startAt: Math.floor((i * (listedCount - 100)) / 50) + 17 }).next().value!.product);
const deepCursor = (sort: ListingSort, n: number) => listingCursor(sort, listingKey(sort.field, listingFacts(spreadProducts[n % spreadProducts.length]!, 0)));

console.log(`\nListings of ${listedCount.toLocaleString("en")} products, catalog of ${size.toLocaleString("en")} (${database}), ${connections} client(s), ${durationMs / 1000} s each\n`);
const results = [];
for (const field of SORT_FIELDS) {
  for (const direction of ["ASC", "DESC"] as const) results.push(await measure(`page 1, ${field} ${direction}`, async () => void (await page({ sort: { field, direction } }))));
}
for (const field of SORT_FIELDS) {
  const sort = { field, direction: "ASC" } as const;
  results.push(await measure(`deep page (50 cursors across the catalog), ${field} ASC`, async (n) => void (await page({ sort, after: deepCursor(sort, n) }, 1))));
}
const leaves = DEMO_CATEGORY_TREE.filter((category) => category.parent !== null).map((category) => category.slug).filter((slug) => slug !== "audio");
results.push(
  await measure("category page 1 with totalCount, PRICE ASC", async (n) => {
    const result = await page({ filter: { categorySlug: leaves[n % leaves.length] }, sort: { field: "PRICE" } });
    await result.totalCount();
  }),
);
results.push(await measure("parent category (3 children merged) page 1, NAME ASC", async () => void (await page({ filter: { categorySlug: "leisure" }, sort: { field: "NAME" } }))));
results.push(await measure("price window 50-60 USD, PRICE ASC (starts at priceMin)", async () => void (await page({ filter: { priceMin: 5000, priceMax: 6000 }, sort: { field: "PRICE" } }))));
results.push(await measure("price window 50-60 USD, PRICE DESC (starts at priceMax)", async () => void (await page({ filter: { priceMin: 5000, priceMax: 6000 }, sort: { field: "PRICE", direction: "DESC" } }))));
results.push(await measure("price window 50-60 USD, NEWEST DESC", async () => void (await page({ filter: { priceMin: 5000, priceMax: 6000 }, sort: { field: "NEWEST" } }, 0))));
results.push(await measure("in stock, none recorded (a filter nothing matches), NEWEST", async () => void (await page({ filter: { inStock: true } }, 0))));
console.log(JSON.stringify({ size, listed: listedCount, database, connections, durationMs, results }));
await listings.close();
await store.close();
