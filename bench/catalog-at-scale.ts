// The catalog's own queries at the design's size, on the configured document engine: product
// by id, listing pages (first, deep cursor, per category), counts, the change relay's idle
// poll and a write until the relay sees it. Loads the catalog itself (generated, deterministic)
// into a database of its own, or reuses it when a previous run loaded the same size there.
//
//   eval "$(scripts/services.sh env)"
//   nice -n 10 npx tsx bench/catalog-at-scale.ts --products 1000000 [--duration 10] [--connections 16]
//
// Figures are for the product store and service in this process (no HTTP, no gateway, no hot
// cache: every read goes to the engine), p50/p99 over closed-loop clients.
import { parseArgs } from "node:util";
import { encodeCursor, loadConfig } from "#kernel";
import { MongoProductStore } from "../subgraphs/products/src/adapters/mongo-product-store.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { createProductService } from "../subgraphs/products/src/domain/product.service.js";
import type { Product } from "../subgraphs/products/src/domain/product.js";
import { measureClosedLoop, type ClosedLoopFigures } from "./harness/closed-loop.js";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "1000000" },
    database: { type: "string" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
  },
});
const size = Number(values.products);
const durationMs = Number(values.duration) * 1000;
const connections = Number(values.connections);
const mongoUrl = loadConfig().documents.mongoUrl;
if (!mongoUrl) throw new Error("MONGO_URL is not set: this benchmark measures a real document engine");
const database = values.database ?? `bench_catalog_${size}`;

const store = await MongoProductStore.connect(mongoUrl, { database, maxPoolSize: 16 });
const service = createProductService({ store });

if ((await store.count({})) !== size) {
  await store.drop();
  const fresh = await MongoProductStore.connect(mongoUrl, { database });
  const startedAt = performance.now();
  let batch: Product[] = [];
  for (const { product } of generateCatalog({ count: size })) {
    batch.push(product);
    if (batch.length === 1_000) await fresh.insertMany(batch.splice(0), { announce: false });
  }
  if (batch.length) await fresh.insertMany(batch, { announce: false });
  await fresh.close();
  console.log(`loaded ${size} products into ${database} in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
}

type Figures = ClosedLoopFigures;

async function measure(name: string, op: (n: number) => Promise<void>, options: { clients?: number; ms?: number } = {}): Promise<Figures> {
  const figures = await measureClosedLoop(name, op, { clients: options.clients ?? connections, ms: options.ms ?? durationMs });
  console.log(`${name.padEnd(44)} ${String(figures.perSecond).padStart(6)}/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  max ${figures.max} ms`);
  return figures;
}

const id = (n: number) => `prod_${String(n + 1).padStart(7, "0")}`;
// Spread over the whole catalog, so the engine's caches hold few of them (uncached reads).
const spread = (n: number) => (n * 7_919) % size;
const categories = [...new Set(Array.from({ length: 11 }, (_, i) => generateCatalog({ count: 1, startAt: i }).next().value!.product.category))];
const expectPage = (page: { edges: unknown[] }, name: string) => {
  if (page.edges.length !== 20) throw new Error(`${name}: ${page.edges.length} products instead of 20`);
};

console.log(`\nCatalog at ${size.toLocaleString("en")} products (${database}), ${connections} clients, ${durationMs / 1000} s each\n`);
const results: Figures[] = [];
results.push(
  await measure("product by id, uncached", async (n) => {
    const found = await service.findByIds([id(spread(n))]);
    if (found.size !== 1) throw new Error(`product ${id(spread(n))} not found`);
  }),
);
results.push(await measure("20 products by id (a search page's hydration)", async (n) => void (await service.findByIds(Array.from({ length: 20 }, (_, i) => id(spread(n * 20 + i)))))));
results.push(
  await measure("listing page 1 with totalCount", async () => {
    const page = await service.list({ first: 20 });
    expectPage(page, "page 1");
    await page.totalCount();
  }),
);
// Deep pages: cursors from all over the catalog, as a crawler walking it would send.
const cursorAt = async (seq: number, category?: string) => (await service.list({ first: 1, category, after: encodeCursor({ seq }) })).endCursor!;
const deepCursors = await Promise.all(Array.from({ length: 50 }, (_, i) => cursorAt(22 + Math.floor((i * (size - 22)) / 50))));
results.push(await measure("deep cursor page (50 cursors across the catalog)", async (n) => expectPage(await service.list({ first: 20, after: deepCursors[n % deepCursors.length] }), "deep page")));
results.push(
  await measure("category page 1 with totalCount", async (n) => {
    const page = await service.list({ first: 20, category: categories[n % categories.length] });
    expectPage(page, "category page");
    await page.totalCount();
  }),
);
const categoryCursors = await Promise.all(categories.map((category) => cursorAt(Math.floor(size / categories.length / 2), category)));
results.push(
  await measure("deep category page", async (n) => expectPage(await service.list({ first: 20, category: categories[n % categories.length], after: categoryCursors[n % categories.length] }), "deep category page")),
);
results.push(await measure("relay poll, nothing pending (idle)", async () => void (await store.unpublishedChanges(500)), { clients: 1 }));
let written = 0;
// The products the update row renames, and their names, read before it: put back afterwards
// (not timed), so the database stays the generator's catalog, which
// bench/catalog-listings-at-scale.ts lists from the generator (a listing entry whose product
// has another name is not shown: at 1,000 products, NAME DESC page 1 held 17 products, not 20).
// The generator cannot say a name alone: names are drawn one product after another.
const RENAMABLE = Math.min(size, 2_000);
const renamable = (n: number) => id(spread((n % RENAMABLE) + 12_345));
const originalNames = new Map([...(await store.findByIds(Array.from({ length: RENAMABLE }, (_, n) => renamable(n)))).values()].map((product) => [product.id, product.name]));
const renamed = new Set<string>();
results.push(
  await measure(
    "update, until the relay's page holds it",
    async (n) => {
      const productId = renamable(n);
      await store.update(productId, { name: `Renamed ${n}` }, new Date());
      renamed.add(productId);
      const pending = await store.unpublishedChanges(500);
      if (!pending.some((change) => change.productId === productId)) throw new Error(`${productId} is not pending`);
      await store.markPublished(pending);
      written += 1;
    },
    { clients: 1, ms: Math.min(durationMs, 5_000) },
  ),
);
for (const productId of renamed) await store.update(productId, { name: originalNames.get(productId)! }, new Date());
const pending = await store.unpublishedChanges(renamed.size + 500);
if (pending.length) await store.markPublished(pending);
console.log(`\n${written} renames of ${renamed.size} products, their names put back`);
console.log(JSON.stringify({ size, database, connections, durationMs, results }));
await store.close();
