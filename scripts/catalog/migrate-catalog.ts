// Upgrades a catalog written by an earlier version to what this version writes: the listing
// layout (numbers, block keys, live counts), then variants (every product gets its default
// variant and its SKU claim). Idempotent and resumable. `npx tsx scripts/catalog/migrate-catalog.ts --help`.
import { loadConfig } from "#kernel";
import { MongoProductStore } from "../../subgraphs/products/src/adapters/mongo-product-store.js";
import { parseArguments } from "./cli-arguments.js";

const USAGE = `Usage: npx tsx scripts/catalog/migrate-catalog.ts [--restart-variants]

Brings the product store named by MONGO_URL to the layout this version reads, in two steps.

1. Listing layout: products written before listings were numbered (they list as an empty
   catalog, and npm start's demo seeding then collides on their SKUs) get numbers after every
   numbered one, oldest first; products whose listing block keys are missing or of another
   block size get them rewritten; live counts are recounted and listing counters raised past
   every number in use. Reads the whole collection once (on FerretDB here: 50,000 products in
   28 s, so about 10 min for 1,000,000) and rewrites only what differs.
2. Variants: every product written before variants gets no options, its default variant (id
   and SKU the product's, its price) and a claim on its SKU. Walks the catalog a few listing
   blocks at a time (flat memory at any size) and records where it got to: an interrupted run
   resumes there; --restart-variants walks from the start again. Reads accept an unmigrated
   product meanwhile, so the new version may already serve the catalog. Measured on FerretDB
   here (2 busy cores): 10,000 products in 28 s (about 47 min for 1,000,000, 140 MB of
   memory whatever the size); a run with nothing left to do reads 10,000 in 8 s.

A second run changes nothing. Run it while the catalog takes no updates if you can (the
variant step is safe under updates; the layout step may lose an update on FerretDB).
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const config = loadConfig();
if (!config.documents.mongoUrl) args.fail("MONGO_URL is not set: the embedded product store lives only inside a running process and never needs this");

const store = await MongoProductStore.connect(config.documents.mongoUrl!, { queryTimeoutMs: 60_000 });
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
try {
  let startedAt = performance.now();
  const report = await store.migrateLayout((phase, done) => process.stderr.write(`${phase === "read" ? "read" : "rewritten"} ${done.toLocaleString("en-US")}\n`));
  process.stdout.write(
    `layout: ${report.scanned} documents read, ${report.live} live products: ${report.numbered} numbered, ${report.rewritten} rewritten, in ${seconds(startedAt)} s\n` +
      `live counts: ${Object.entries(report.liveCounts).map(([id, n]) => `${id}=${n}`).join(", ")}\n`,
  );
  startedAt = performance.now();
  const variants = await store.migrateVariants({
    restart: args.flag("restart-variants"),
    onProgress: ({ block, lastBlock, migrated }) => {
      if (block % 500 < 5 || block > lastBlock) process.stderr.write(`variants: block ${block.toLocaleString("en-US")} of ${(lastBlock + 1).toLocaleString("en-US")}, ${migrated.toLocaleString("en-US")} products migrated\n`);
    },
  });
  process.stdout.write(
    `variants: ${variants.scanned} products read from block ${variants.resumedAtBlock}, ${variants.migrated} given their default variant` +
      ` (${variants.changedMeanwhile} read again after a concurrent write), in ${seconds(startedAt)} s\n`,
  );
  for (const conflict of variants.skuConflicts) {
    process.stdout.write(`SKU ${conflict.sku} of ${conflict.productId} is claimed by ${conflict.holder}: give one of them another SKU\n`);
  }
} catch (error) {
  process.stderr.write(`catalog migration failed (safe to run again): ${String(error)}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
