// Orders over two PostgreSQL servers: `npx tsx scripts/orders/shard-demo.ts --help`.
import pg from "pg";
import { loadConfig } from "#kernel";
import { applyMigrations } from "../migrate/apply-migrations.js";
import { parseArguments } from "../catalog/cli-arguments.js";
import { BATCH_TABLE, FILL_BATCH, historyParameters, INSERT_HISTORY_BATCH } from "./order-history-sql.js";
import { attachRemoteShards, remainderOf } from "./remote-shards.js";
import { orderByIdStatement } from "../../subgraphs/orders/src/adapters/prisma-order.store.js";

const USAGE = `Usage: npx tsx scripts/orders/shard-demo.ts [options]

Builds the database orders_shard_demo on the PostgreSQL of DATABASE_URL (the coordinator) and
on the second server (scripts/services.sh up postgres-shard), both from the migrations, puts
order partitions 8-15 on the second server through postgres_fdw (scripts/orders/remote-shards.ts),
writes generated orders through the coordinator's partitioned tables, and prints where they
landed and the plans of a customer's history (local and remote) and of an order by id.
Both databases are dropped and made again on each run.

  --count N        how many generated orders (default 100,000)
  --shard-port P   the second server's port, on DATABASE_URL's host (default 5433)
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const count = args.int("count", 100_000);
const base = loadConfig().relational.databaseUrl ?? args.fail("DATABASE_URL is not set: name the coordinator PostgreSQL");
const DATABASE = "orders_shard_demo";
const coordinatorUrl = new URL(base);
coordinatorUrl.pathname = `/${DATABASE}`;
const shardUrl = new URL(coordinatorUrl);
shardUrl.port = String(args.int("shard-port", 5433));
const out = (line = "") => process.stdout.write(line + "\n");

async function recreate(url: URL) {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`).finally(() => client.end());
  await applyMigrations(url.toString());
}

await recreate(coordinatorUrl);
await recreate(shardUrl);
const remainders = [8, 9, 10, 11, 12, 13, 14, 15];
await attachRemoteShards({ coordinatorUrl: coordinatorUrl.toString(), shardUrl: shardUrl.toString(), remainders });

const c = new pg.Client({ connectionString: coordinatorUrl.toString() });
await c.connect();
try {
  const startedAt = performance.now();
  await c.query(BATCH_TABLE);
  const shape = { seed: 42, total: count, customers: Math.max(1, Math.ceil(count / 20)), years: 5, endAt: new Date() };
  for (let lo = 0; lo < count; lo += 10_000) {
    await c.query("BEGIN");
    await c.query(FILL_BATCH, historyParameters(shape, lo, Math.min(count, lo + 10_000)));
    for (const statement of INSERT_HISTORY_BATCH) await c.query(statement);
    await c.query("COMMIT");
  }
  out(`${count} orders written through the coordinator in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  await c.query(`ANALYZE "Order", "OrderItem", "OrderStatusChange", "OrderLocator", "Payment"`);

  // Payments are partitioned like orders: the same partition numbers, hence the same servers.
  const { rows: where } = await c.query<{ partition: string; kind: string; orders: number; payments: number; paymentsElsewhere: number }>(
    `WITH orders AS (SELECT o.tableoid, count(*)::int AS n FROM "Order" o GROUP BY 1),
     payments AS (SELECT p.tableoid, count(*)::int AS n,
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "Order" o WHERE o.id = p."orderId" AND o."userId" = p."userId" AND substring(o.tableoid::regclass::text from '_p\\d+') = substring(p.tableoid::regclass::text from '_p\\d+')))::int AS elsewhere
       FROM "Payment" p GROUP BY 1)
     SELECT o.tableoid::regclass::text AS partition, CASE c.relkind WHEN 'f' THEN 'second server (${shardUrl.host})' ELSE 'coordinator' END AS kind, o.n AS orders,
       COALESCE(p.n, 0) AS payments, COALESCE(p.elsewhere, 0) AS "paymentsElsewhere"
     FROM orders o JOIN pg_class c ON c.oid = o.tableoid
     LEFT JOIN payments p ON substring(p.tableoid::regclass::text from '_p\\d+') = substring(o.tableoid::regclass::text from '_p\\d+')
     ORDER BY substring(o.tableoid::regclass::text from '_p(\\d+)')::int`,
  );
  out("\nOrders and payments per partition number, read through the coordinator's \"Order\" and \"Payment\" (payments in another partition number than their order: none expected):");
  for (const row of where) out(`  ${row.partition.padEnd(14)} ${row.kind.padEnd(32)} ${String(row.orders).padStart(7)} orders ${String(row.payments).padStart(7)} payments ${row.paymentsElsewhere} elsewhere`);

  const customers = (await c.query<{ userId: string }>(`SELECT DISTINCT "userId" FROM "OrderLocator" LIMIT 200`)).rows.map((r) => r.userId);
  const remote = await (async () => {
    for (const userId of customers) if (remainders.includes(await remainderOf(c, userId))) return userId;
    throw new Error("no customer on the second server");
  })();
  const local = await (async () => {
    for (const userId of customers) if (!remainders.includes(await remainderOf(c, userId))) return userId;
    throw new Error("no customer on the coordinator");
  })();
  for (const [label, userId, options] of [
    ["local", local, "COSTS OFF"],
    ["remote", remote, "COSTS OFF, VERBOSE"],
  ] as const) {
    out(`\nA customer's latest 20 orders, ${userId} (partition ${await remainderOf(c, userId)}, ${label}):`);
    const { rows } = await c.query<{ "QUERY PLAN": string }>(`EXPLAIN (${options}) SELECT * FROM "Order" WHERE "userId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT 21`, [userId]);
    for (const row of rows) if (!/^\s*Output:/.test(row["QUERY PLAN"])) out(`  ${row["QUERY PLAN"]}`);
  }
  const { rows: ids } = await c.query<{ id: string }>(`SELECT id FROM "OrderLocator" WHERE "userId" = $1 LIMIT 1`, [remote]);
  const byId = orderByIdStatement(ids[0]!.id);
  out(`\nAn order by id alone (${ids[0]!.id}), as the store reads it: partitions that did not run show "never executed":`);
  const { rows: plan } = await c.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${byId.text}`, byId.values);
  for (const row of plan) if (/Scan|Append|InitPlan/.test(row["QUERY PLAN"])) out(`  ${row["QUERY PLAN"]}`);
} finally {
  await c.end();
}
