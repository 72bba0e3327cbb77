// Finds the commit gaps between the coordinator and its shard servers and repairs what is safe:
// `npx tsx scripts/orders/reconcile-shards.ts --help`.
import pg from "pg";
import { loadConfig } from "#kernel";
import { parseArguments } from "../catalog/cli-arguments.js";
import { reconcileShardGaps } from "./shard-gaps.js";

const USAGE = `Usage: npx tsx scripts/orders/reconcile-shards.ts [options]

One pass over the order and payment tables of DATABASE_URL (the coordinator, with its remote
partitions; a single server works too): writes back the locator of an order that lost it,
removes a locator row that names no order, payment or refund, and reports what needs a person
(an order id two customers hold, a payment without its order, a locator naming the wrong
customer). Rows younger than the grace period are left for the next pass. Safe to run again at
any time; prints one JSON line, and exits 3 when something was reported.

  --grace-seconds S   leave rows younger than this alone (default 300)
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const graceMs = args.int("grace-seconds", 300) * 1000;
const databaseUrl = loadConfig().relational.databaseUrl ?? args.fail("DATABASE_URL is not set: name the coordinator PostgreSQL");

const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
try {
  const gaps = await reconcileShardGaps(client, { graceMs });
  process.stdout.write(JSON.stringify(gaps) + "\n");
  if (gaps.reported.length > 0) process.exitCode = 3;
} finally {
  await client.end();
}
