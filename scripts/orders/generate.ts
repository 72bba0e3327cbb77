// Loads generated order history (orders, lines, status history, payments, refunds) into the
// PostgreSQL of DATABASE_URL. `npx tsx scripts/orders/generate.ts --help`.
import pg from "pg";
import { loadConfig } from "#kernel";
import { applyMigrations } from "../migrate/apply-migrations.js";
import { parseArguments } from "../catalog/cli-arguments.js";
import { createProgressBar } from "../catalog/progress-bar.js";
import { deferringIndexes, withDeferredIndexes } from "./deferred-indexes.js";
import { BATCH_TABLE, FILL_BATCH, historyParameters, INSERT_HISTORY_BATCH, type HistoryShape } from "./order-history-sql.js";

const USAGE = `Usage: npx tsx scripts/orders/generate.ts [options]

Writes generated orders over five simulated years into the PostgreSQL database of
DATABASE_URL (created and migrated when missing). Orders are deterministic by number and seed;
a batch is one transaction, so a stopped load resumes with --start-at (the count it printed).

  --count N        how many orders (default 10,000,000)
  --scale F        F times the default (e.g. --scale 10 for 100 million)
  --customers C    how many customers share them (default count / 20)
  --years Y        the span the orders cover, ending now (default 5)
  --start-at K     number of the first order, to resume or append (default 0)
  --seed S         generator seed (default 42)
  --batch B        orders per transaction (default 50,000)
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const scale = args.int("scale", 1);
const total = args.int("count", 10_000_000 * scale);
const shape: HistoryShape = {
  seed: args.int("seed", 42),
  total,
  customers: Math.max(1, args.int("customers", Math.ceil(total / 20))),
  years: Math.max(1, args.int("years", 5)),
  endAt: new Date(),
};
const startAt = args.int("start-at", 0);
const batchSize = Math.max(1, args.int("batch", 50_000));
const databaseUrl = loadConfig().relational.databaseUrl ?? args.fail("DATABASE_URL is not set: name the PostgreSQL database to load");

const TABLES = ["OrderLocator", "Order", "OrderItem", "OrderStatusChange", "Payment", "Refund"];

await applyMigrations(databaseUrl);
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
try {
  await client.query(BATCH_TABLE);
  const progress = createProgressBar("orders", total);
  const load = async () => {
    progress.update(startAt);
    for (let lo = startAt; lo < total; lo += batchSize) {
      const hi = Math.min(total, lo + batchSize);
      await client.query("BEGIN");
      await client.query(FILL_BATCH, historyParameters(shape, lo, hi));
      for (const statement of INSERT_HISTORY_BATCH) await client.query(statement);
      await client.query("COMMIT");
      progress.update(hi);
    }
    const { seconds, perSecond } = progress.finish(total);
    process.stdout.write(`${total - startAt} orders written in ${seconds.toFixed(1)} s (${Math.round(perSecond)}/s) for ${shape.customers} customers\n`);
  };
  const startedAt = performance.now();
  if (await deferringIndexes(client)) await withDeferredIndexes(client, TABLES, load, (line) => process.stderr.write(line + "\n"));
  else await load();
  process.stdout.write(`ready with indexes and keys after ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
  await client.query(`ANALYZE ${TABLES.map((table) => `"${table}"`).join(", ")}`);
} finally {
  await client.end();
}
