// What a catalog write costs the sorted listings at the design's size: a product changed
// (renamed and repriced, so it moves in NAME and PRICE listings and stays in NEWEST and
// POPULARITY), listed alone as an edit does, and in batches as the listing sync lists the
// changes the event bus hands over together (a bulk import). Real FerretDB; the listings of
// `--database` must have been built (scripts/catalog/rebuild-listings.ts, or
// bench/supergraph-at-scale.ts, which builds them when it loads a catalog).
//
//   eval "$(scripts/services.sh env)"
//   nice -n 10 npx tsx bench/listing-writes-at-scale.ts --database catalog_1m --products 1000000 [--seconds 10] [--batch 100]
import { parseArgs } from "node:util";
import { createLockService, EmbeddedKeyValueStore, loadConfig } from "#kernel";
import { MongoListingIndex } from "../subgraphs/products/src/adapters/mongo-listing-index.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import type { Product } from "../subgraphs/products/src/domain/product.js";
import { measureClosedLoop } from "./harness/closed-loop.js";

const { values } = parseArgs({
  options: {
    database: { type: "string", default: "catalog_1m" },
    products: { type: "string", default: "1000000" },
    seconds: { type: "string", default: "10" },
    batch: { type: "string", default: "100" },
  },
});
const size = Number(values.products);
const ms = Number(values.seconds) * 1000;
const batchSize = Number(values.batch);
const mongoUrl = loadConfig().documents.mongoUrl;
if (!mongoUrl) throw new Error("MONGO_URL is not set: this benchmark measures a real document engine");

const locks = createLockService(new EmbeddedKeyValueStore());
const listings = await MongoListingIndex.connect(mongoUrl, { database: values.database, maxPoolSize: 16, lock: (resource, work) => locks.withLock(resource, work, { ttlMs: 60_000, waitMs: 60_000 }) });
if (await listings.isEmpty()) throw new Error(`${values.database} has no listings: build them first (scripts/catalog/rebuild-listings.ts)`);

// Versions above anything a run before this one wrote, so every change is applied.
let version = Math.floor(Date.now() / 1000);
let position = Math.floor(Math.random() * size);
const changed = (): Product => {
  position = (position + 104_729) % size;
  const product = generateCatalog({ count: 1, startAt: position }).next().value!.product as Product & { variants: { price: { amount: number } }[] };
  version += 1;
  const bump = 1 + (version % 97);
  return { ...product, name: `${product.name} ${version}`, version, variants: product.variants.map((variant) => ({ ...variant, price: { ...variant.price, amount: variant.price.amount + bump } })) } as Product;
};

const figures = [
  await measureClosedLoop("one product changed, listed alone (an edit)", async () => {
    const product = changed();
    await listings.sync(new Map([[product.id, product]]));
  }, { clients: 1, ms }),
  await measureClosedLoop(`${batchSize} products changed, listed together (a bulk import)`, async () => {
    const products = Array.from({ length: batchSize }, changed);
    await listings.sync(new Map(products.map((product) => [product.id, product])));
  }, { clients: 1, ms }),
];
console.log(`\nListing writes on ${values.database} (${size.toLocaleString("en")} products), FerretDB, 1 writer, ${ms / 1000} s each\n`);
for (const f of figures) console.log(`${f.name.padEnd(58)} ${String(f.ops).padStart(5)} calls  p50 ${f.p50} ms  p99 ${f.p99} ms  max ${f.max} ms`);
const [alone, together] = figures as [(typeof figures)[0], (typeof figures)[0]];
console.log(`\nproducts listed per second: alone ${Math.round((alone.ops * 1000) / ms)}, in batches of ${batchSize} ${Math.round((together.ops * batchSize * 1000) / ms)}`);
await listings.close();
