// Loads a generated catalog into the product store: the realistic demo catalog by default,
// the design's scale (1M products) on request. `npx tsx scripts/catalog/generate.ts --help`.
import { createLogger, loadConfig } from "#kernel";
import { generateCatalog, type GeneratedProduct } from "../../subgraphs/products/src/catalog/generate-catalog.js";
import { openProductStore } from "../../subgraphs/products/src/adapters/open-product-store.js";

import { parseArguments } from "./cli-arguments.js";
import { createProgressBar } from "./progress-bar.js";
import { openInventoryStock } from "./inventory-stock.js";

const USAGE = `Usage: npx tsx scripts/catalog/generate.ts [options]

Writes generated products into the product store named by MONGO_URL. Products are
deterministic by position and seed, so runs are repeatable.

  --count N      how many products (default 600, the demo catalog)
  --scale        the design's scale: 1,000,000 products
  --start-at K   number of the first product, to append to a catalog of K products (default 0)
  --seed S       generator seed (default 42)
  --batch B      products per insert (default 1000)
  --no-events    record the products as already announced: for bulk loads that are followed
                 by a reindex, instead of one change event per product
  --no-stock     write no stock; by default every product gets its generated stock in the
                 inventory (DATABASE_URL), as the demo catalog does
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const count = args.flag("scale") ? 1_000_000 : args.int("count", 600);
const startAt = args.int("start-at", 0);
const batchSize = Math.max(1, args.int("batch", 1_000));
const config = loadConfig();
const logger = createLogger("warn", { service: "catalog-generate" });
if (!config.documents.mongoUrl) args.fail("MONGO_URL is not set: the embedded product store lives only inside a running process");

const store = await openProductStore(config);
const stock = args.flag("no-stock") ? undefined : config.relational.databaseUrl ? await openInventoryStock(config, logger) : undefined;
if (!args.flag("no-stock") && !stock) process.stdout.write("DATABASE_URL is not set: no stock written (pass --no-stock to say so).\n");
try {
  const existing = await store.count({});
  if (existing === 0 && startAt === 0 && !(await store.isEmpty())) args.fail("The store holds products written by an earlier version: run scripts/catalog/migrate-catalog.ts first");
  if (existing > 0 && startAt === 0) args.fail(`The store already holds ${existing} products; pass --start-at ${existing} to append`);
  const progress = createProgressBar("generating", count);
  let written = 0;
  let batch: GeneratedProduct[] = [];
  const flush = async () => {
    await store.insertMany(batch.map((g) => g.product), { announce: !args.flag("no-events") });
    await stock?.seed(batch.flatMap((g) => g.variantStock));
    written += batch.length;
    batch = [];
    progress.update(written);
  };
  for (const generated of generateCatalog({ count, startAt, seed: args.int("seed", 42) })) {
    batch.push(generated);
    if (batch.length === batchSize) await flush();
  }
  if (batch.length) await flush();
  const { seconds, perSecond } = progress.finish(written);
  process.stdout.write(`${written} products written to ${store.engine} in ${seconds.toFixed(1)} s (${Math.round(perSecond)}/s)\n`);
  if (args.flag("no-events")) process.stdout.write("Change events skipped: run scripts/catalog/reindex.ts to bring search up to date and scripts/catalog/rebuild-listings.ts to list the products.\n");
} catch (error) {
  logger.error("catalog generation failed", { error: String(error) });
  process.exitCode = 1;
} finally {
  await store.close();
  await stock?.close();
}
