// Order history at scale, on a database loaded by scripts/orders/generate.ts (10 million
// orders by default):
//
//   eval "$(scripts/services.sh env)"
//   DATABASE_URL=${DATABASE_URL%/*}/orders_10m nice -n 19 npx tsx scripts/orders/generate.ts
//   DATABASE_URL=${DATABASE_URL%/*}/orders_10m nice -n 10 npx tsx bench/orders-at-scale.ts [--samples 2000] [--partitions 16] [--archive-months 2]
//
// Measures, one query at a time from this process (p50/p99 of the statement the store sends):
// a customer's latest 20 orders and an order by id on the table as it is. On a database from
// before the orders_partitioned_by_customer migration (unpartitioned), also the history query
// on a copy hash-partitioned by customer (made once, kept for reruns); on a partitioned one, the
// order by id through its locator (the store's statement) and by id alone, with the plans; the archive job's throughput on the oldest months; and
// a customer's history with archived orders (directory + Parquet through DuckDB).
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { EmbeddedObjectStore, loadConfig, openObjectStore, type ObjectStore } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { openPostgresArchiveLedger } from "../subgraphs/orders/src/adapters/postgres-archive-ledger.js";
import { archiveNamespace, createDuckDbArchiveFiles } from "../subgraphs/orders/src/adapters/duckdb-archive-files.js";
import { createPrismaArchiveDirectory } from "../subgraphs/orders/src/adapters/prisma-archive-directory.js";
import { createPrismaOrderStore, orderByIdStatement } from "../subgraphs/orders/src/adapters/prisma-order.store.js";
import { createArchiveReadingOrderStore } from "../subgraphs/orders/src/domain/archive-reading-order-store.js";
import { archiveOrders } from "../subgraphs/orders/src/domain/order-archiver.js";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "2000" },
    partitions: { type: "string", default: "16" },
    "archive-months": { type: "string", default: "2" },
    "archive-batch": { type: "string", default: "5000" },
    "archive-dir": { type: "string", default: ".run/data/orders-archive-bench" },
    // Run one half alone (e.g. both at once in two processes): "tables" or "archive".
    only: { type: "string" },
  },
});
const samples = Number(values.samples);
const partitions = Number(values.partitions);
const config = loadConfig();
const databaseUrl = config.relational.databaseUrl;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: name the database scripts/orders/generate.ts loaded");

const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const out = (line: string) => process.stdout.write(line + "\n");

async function percentiles(label: string, count: number, run: (i: number) => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    await run(i);
    times.push(performance.now() - startedAt);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const figures = { label, samples: count, p50Ms: +at(0.5).toFixed(2), p99Ms: +at(0.99).toFixed(2), maxMs: +times.at(-1)!.toFixed(2) };
  out(JSON.stringify(figures));
  return figures;
}

const { rows: sizeRows } = await client.query<{ orders: string; partitioned: boolean }>(
  `SELECT (SELECT sum(c.reltuples)::bigint FROM pg_partition_tree('"Order"') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf) AS orders,
     EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = '"Order"'::regclass) AS partitioned`,
);
const partitioned = sizeRows[0]!.partitioned;
out(JSON.stringify({ database: new URL(databaseUrl).pathname.slice(1), ordersEstimate: Number(sizeRows[0]!.orders), partitioned }));
const explain = async (text: string, values: unknown[]) =>
  out((await client.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${text}`, values)).rows.map((r) => r["QUERY PLAN"]).join("\n"));

const doTables = values.only !== "archive";
const doArchive = values.only !== "tables";

// Customers and ids drawn from the table itself (a random sample of pages), so every lookup hits.
const { rows: sample } = await client.query<{ id: string; userId: string }>(`SELECT id, "userId" FROM "Order" TABLESAMPLE SYSTEM (0.5) LIMIT $1`, [samples]);
const pick = (i: number) => sample[i % sample.length]!;

const HISTORY = (table: string) => `SELECT * FROM ${table} WHERE "userId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT 21`;
if (doTables && partitioned) {
  await percentiles("latest 20 orders of a customer (Order, hash-partitioned by customer)", samples, (i) => client.query(HISTORY(`"Order"`), [pick(i).userId]));
  const byId = (i: number) => orderByIdStatement(pick(i).id);
  await percentiles("order by id as findById reads it (its OrderLocator row, then one partition)", samples, async (i) => {
    const { rows } = await client.query<{ userId: string }>(`SELECT "userId" FROM "OrderLocator" WHERE id = $1`, [pick(i).id]);
    await client.query(`SELECT * FROM "Order" WHERE id = $1 AND "userId" = $2`, [pick(i).id, rows[0]!.userId]);
  });
  await percentiles("order by id in one statement, the locator as a subquery (update's locked read)", samples, (i) => client.query(byId(i).text, byId(i).values));
  await percentiles("order by id alone (every partition's primary key probed)", samples, (i) => client.query(`SELECT * FROM "Order" WHERE id = $1`, [pick(i).id]));
  await explain(HISTORY(`"Order"`), [pick(0).userId]);
  await explain(byId(0).text, byId(0).values);
}
if (doTables && !partitioned) {
  await percentiles("latest 20 orders of a customer (unpartitioned)", samples, (i) => client.query(HISTORY(`"Order"`), [pick(i).userId]));
  await percentiles("order by id (unpartitioned)", samples, (i) => client.query(`SELECT * FROM "Order" WHERE id = $1`, [pick(i).id]));

  // A copy partitioned by customer, as the sharded table would be (hash of userId).
  const { rows: copied } = await client.query<{ exists: boolean }>(`SELECT to_regclass('"OrderByCustomer"') IS NOT NULL AS exists`);
  if (!copied[0]!.exists) {
    const startedAt = performance.now();
    await client.query(`CREATE TABLE "OrderByCustomer" (LIKE "Order" INCLUDING DEFAULTS) PARTITION BY HASH ("userId")`);
    for (let p = 0; p < partitions; p++) await client.query(`CREATE TABLE "OrderByCustomer_${p}" PARTITION OF "OrderByCustomer" FOR VALUES WITH (MODULUS ${partitions}, REMAINDER ${p})`);
    await client.query(`INSERT INTO "OrderByCustomer" SELECT * FROM "Order"`);
    await client.query(`CREATE INDEX ON "OrderByCustomer" ("userId", "createdAt")`);
    await client.query(`ALTER TABLE "OrderByCustomer" ADD PRIMARY KEY ("userId", id)`);
    await client.query(`ANALYZE "OrderByCustomer"`);
    out(JSON.stringify({ partitionedCopySeconds: +((performance.now() - startedAt) / 1000).toFixed(1), partitions }));
}
await percentiles(`latest 20 orders of a customer (hash-partitioned by customer)`, samples, (i) => client.query(HISTORY(`"OrderByCustomer"`), [pick(i).userId]));
const { rows: plan } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${HISTORY(`"OrderByCustomer"`).replace("$1", `'${pick(0).userId}'`)}`);
out(plan.map((r) => r["QUERY PLAN"]).join("\n"));
}

// Archive throughput on the oldest months: the cutoff is set so that exactly those are old enough.
const months = Number(values["archive-months"]);
const { rows: oldest } = await client.query<{ first: Date | null }>(`SELECT min("createdAt") AS first FROM "Order"`);
const { rows: before } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "ArchivedOrder"`);
let objects: ObjectStore;
if (config.objects.s3) objects = await openObjectStore(config, { uploadBaseUrl: () => "" });
else {
  await mkdir(values["archive-dir"]!, { recursive: true });
  objects = new EmbeddedObjectStore({ dir: values["archive-dir"]!, secret: "bench", uploadBaseUrl: () => "" });
}
const files = createDuckDbArchiveFiles({ objects, namespace: archiveNamespace(databaseUrl) });
if (doArchive && oldest[0]!.first) {
  const first = oldest[0]!.first;
  const cutoffMonth = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + months, 1));
  const afterDays = Math.floor((Date.now() - cutoffMonth.getTime()) / 86_400_000);
  const ledger = await openPostgresArchiveLedger(databaseUrl);
  try {
    const startedAt = performance.now();
    const result = await archiveOrders({ ledger, files }, { now: new Date(), afterDays, returnWindowDays: 30, batchSize: Number(values["archive-batch"]) });
    const seconds = (performance.now() - startedAt) / 1000;
    out(JSON.stringify({ label: "archive job", ...result, seconds: +seconds.toFixed(1), ordersPerSecond: Math.round(result.orders / seconds), alreadyArchived: Number(before[0]!.n) }));
  } finally {
    await ledger.close();
  }
}

// A customer's history with archived orders: through the store the subgraph uses.
const prisma = createPrismaClient(databaseUrl, { poolSize: 4 });
const store = createArchiveReadingOrderStore(createPrismaOrderStore({ prisma }), { directory: createPrismaArchiveDirectory(prisma), files });
const { rows: archivedCustomers } = await client.query<{ userId: string }>(`SELECT "userId" FROM "ArchivedOrder" ORDER BY random() LIMIT 500`);
if (doArchive && archivedCustomers.length > 0) {
  const customer = (i: number) => archivedCustomers[i % archivedCustomers.length]!.userId;
  // First reads fetch each month's file into the local cache; measured after one pass.
  for (let i = 0; i < Math.min(50, archivedCustomers.length); i++) await store.listWithArchive(customer(i), 20);
  await percentiles("latest 20 orders of a customer including archived (directory + Parquet/DuckDB)", Math.min(samples, 500), (i) => store.listWithArchive(customer(i), 20));
  const { rows: archivedIds } = await client.query<{ id: string }>(`SELECT id FROM "ArchivedOrder" ORDER BY random() LIMIT 500`);
  await percentiles("archived order by id (directory + Parquet/DuckDB)", Math.min(samples, 500), (i) => store.findById(archivedIds[i % archivedIds.length]!.id));
}
await prisma.$disconnect();
await files.close();
await objects.close();
await client.end();
