// Upgrades a catalog written by an earlier version to the current listing layout: numbers the
// products that have none, rewrites block keys of another layout, recounts live products.
// Idempotent. `npx tsx scripts/catalog/migrate-catalog.ts --help`.
import { loadConfig } from "#kernel";
import { MongoProductStore } from "../../subgraphs/products/src/adapters/mongo-product-store.js";
import { parseArguments } from "./cli-arguments.js";

const USAGE = `Usage: npx tsx scripts/catalog/migrate-catalog.ts

Brings the product store named by MONGO_URL to the listing layout this version reads:
products written before listings were numbered (they list as an empty catalog, and
npm start's demo seeding then collides on their SKUs) get numbers after every numbered one,
oldest first; products whose listing block keys are missing or of another block size get
them rewritten; live counts are recounted and listing counters raised past every number in
use. Reads the whole collection once (on FerretDB here: 50,000 products in 28 s, so about
10 min for 1,000,000) and rewrites only what differs, so a second run changes nothing. Run it while the catalog takes no updates,
before starting the new version on it.
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const config = loadConfig();
if (!config.documents.mongoUrl) args.fail("MONGO_URL is not set: the embedded product store lives only inside a running process and never needs this");

const store = await MongoProductStore.connect(config.documents.mongoUrl!, { queryTimeoutMs: 60_000 });
try {
  const startedAt = performance.now();
  const report = await store.migrateLayout((phase, done) => process.stderr.write(`${phase === "read" ? "read" : "rewritten"} ${done.toLocaleString("en-US")}\n`));
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(
    `${report.scanned} documents read, ${report.live} live products: ${report.numbered} numbered, ${report.rewritten} rewritten, in ${seconds} s\n` +
      `live counts: ${Object.entries(report.liveCounts).map(([id, n]) => `${id}=${n}`).join(", ")}\n`,
  );
} catch (error) {
  process.stderr.write(`catalog migration failed (safe to run again): ${String(error)}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
