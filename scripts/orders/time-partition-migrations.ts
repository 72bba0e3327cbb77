// Times the migrations that partition the live tables by customer (orders, then payments) on a
// large unpartitioned database, with the longest a reader had to wait meanwhile.
// `npx tsx scripts/orders/time-partition-migrations.ts --help`.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadConfig } from "#kernel";
import { applyMigrations } from "../migrate/apply-migrations.js";
import { DEFAULT_MIGRATIONS_DIR } from "../migrate/paths.js";
import { parseArguments } from "../catalog/cli-arguments.js";
import { createProgressBar } from "../catalog/progress-bar.js";
import { deferringIndexes, withDeferredIndexes } from "./deferred-indexes.js";
import { BATCH_TABLE, FILL_BATCH, historyParameters, type HistoryShape } from "./order-history-sql.js";

const USAGE = `Usage: npx tsx scripts/orders/time-partition-migrations.ts [options]

On the PostgreSQL server of DATABASE_URL: loads generated orders (lines, status history,
payments with one charge attempt, refunds) into a database migrated up to just before
orders_partitioned_by_customer (the unpartitioned shape), kept as payments_partition_1m_source
(for --count 1,000,000; payments_partition_<N>_source otherwise) so reruns skip the load;
copies it to payments_partition_1m; applies the orders partitioning migration, then the
payments one, each timed, while a second connection reads the table being moved every 50 ms
(the longest of those reads is the time a live reader would have been blocked).

  --count N     orders to load (default 1,000,000)
  --batch B     orders per load transaction (default 50,000)
  --lookups     only measure, on the two databases a previous run left, a payment read by
                order id (Order.payment's lookup) before and after: p50/p99 of 2,000 each
`;

const ORDERS_MIGRATION = "20261203115212_orders_partitioned_by_customer";
const PAYMENTS_MIGRATION = "20261203143044_payments_partitioned_by_customer";

const args = parseArguments(process.argv.slice(2), USAGE);
const total = args.int("count", 1_000_000);
const name = total === 1_000_000 ? "payments_partition_1m" : `payments_partition_${total}`;
const batchSize = Math.max(1, args.int("batch", 50_000));
const serverUrl = loadConfig().relational.databaseUrl ?? args.fail("DATABASE_URL is not set: name the PostgreSQL server to use");
const urlOf = (database: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
const out = (line: string) => process.stdout.write(line + "\n");

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A copy of the migrations folder holding those `pick` keeps. */
function migrationsWhere(pick: (entry: string) => boolean): string {
  const into = mkdtempSync(join(tmpdir(), "partition-timing-"));
  for (const entry of readdirSync(DEFAULT_MIGRATIONS_DIR)) if (entry === "migration_lock.toml" || pick(entry)) cpSync(join(DEFAULT_MIGRATIONS_DIR, entry), join(into, entry), { recursive: true });
  return into;
}

// The unpartitioned shape (before the orders migration): lines and history without the customer.
const OLD_SHAPE_BATCH = [
  `INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId",
     "createdAt", "updatedAt", "refundedAmount", "deliveredAt")
   SELECT o.id, o.user_id, o.status, 'EUR', o.total, o.total, 'generated-' || o.n, md5(o.id), o.id, o.created, o.created + interval '3 days',
     CASE WHEN o.status = 'REFUNDED' THEN o.total ELSE 0 END, CASE WHEN o.status IN ('DELIVERED', 'REFUNDED') THEN o.created + interval '3 days' END
   FROM o`,
  `INSERT INTO "OrderItem" ("orderId", "variantId", "productId", name, sku, "variantTitle", "unitAmount", quantity)
   SELECT o.id, 'prd_' || ((o.h >> 12) % 100000 + line) || '_v1', 'prd_' || ((o.h >> 12) % 100000 + line), 'Product ' || line, 'SKU-' || line, 'Product ' || line,
     500 + ((o.h >> 12) % 97) * 100 + line * 250, 1
   FROM o CROSS JOIN LATERAL generate_series(1, o.lines) AS line`,
  `INSERT INTO "OrderStatusChange" (id, "orderId", "from", "to", at)
   SELECT o.id || ':0', o.id, NULL::"OrderStatus", 'PENDING'::"OrderStatus", o.created FROM o
   UNION ALL SELECT o.id || ':1', o.id, 'PENDING'::"OrderStatus", o.status, o.created + interval '3 days' FROM o`,
  `INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "providerIdempotencyKey", "createdAt", "updatedAt", "refundedAt")
   SELECT 'pay_' || substr(o.id, 5), o.id, o.user_id,
     CASE o.status WHEN 'PAYMENT_FAILED' THEN 'FAILED' WHEN 'REFUNDED' THEN 'REFUNDED' ELSE 'SUCCEEDED' END::"PaymentStatus",
     o.total, 'EUR', 1, 'charge-pay_' || substr(o.id, 5), o.created, o.created + interval '3 days', CASE WHEN o.status = 'REFUNDED' THEN o.created + interval '3 days' END
   FROM o`,
  `INSERT INTO "PaymentAttempt" ("paymentId", kind, number, outcome, "startedAt", "finishedAt")
   SELECT 'pay_' || substr(o.id, 5), 'CHARGE', 1, CASE WHEN o.status = 'PAYMENT_FAILED' THEN 'DECLINED' ELSE 'SUCCEEDED' END::"PaymentAttemptOutcome", o.created, o.created FROM o`,
  `INSERT INTO "Refund" (id, "orderId", amount, currency, reason, status, "idempotencyKey", "requestHash", "createdAt", "updatedAt", "refundedAt")
   SELECT 'ref_' || substr(o.id, 5), o.id, o.total, 'EUR', 'Refunded in full', 'SUCCEEDED'::"RefundStatus", 'admin-' || o.n, md5('refund:' || o.id),
     o.created + interval '3 days', o.created + interval '3 days', o.created + interval '3 days'
   FROM o WHERE o.status = 'REFUNDED'`,
  `INSERT INTO "PaymentRefund" (id, "paymentId", amount, currency, status, "providerIdempotencyKey", "providerRef", "createdAt", "refundedAt")
   SELECT 'ref_' || substr(o.id, 5), 'pay_' || substr(o.id, 5), o.total, 'EUR', 'SUCCEEDED', 'refund-ref_' || substr(o.id, 5), 're_' || o.n,
     o.created + interval '3 days', o.created + interval '3 days'
   FROM o WHERE o.status = 'REFUNDED'`,
];
const OLD_TABLES = ["Order", "OrderItem", "OrderStatusChange", "Payment", "PaymentAttempt", "Refund", "PaymentRefund"];

async function loadSource(source: string): Promise<void> {
  const admin = await connect(serverUrl);
  const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [source])).rowCount === 1;
  if (!exists) await admin.query(`CREATE DATABASE ${source}`);
  await admin.end();
  const migrations = migrationsWhere((entry) => entry < ORDERS_MIGRATION);
  try {
    await applyMigrations(urlOf(source), { migrationsDir: migrations });
  } finally {
    rmSync(migrations, { recursive: true, force: true });
  }
  const client = await connect(urlOf(source));
  try {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Order"`);
    const startAt = rows[0]!.n;
    if (startAt >= total) {
      out(`${source}: ${startAt} orders already loaded`);
      return;
    }
    const shape: HistoryShape = { seed: 42, total, customers: Math.ceil(total / 20), years: 5, endAt: new Date() };
    await client.query(BATCH_TABLE);
    const progress = createProgressBar("orders", total);
    const load = async () => {
      for (let lo = startAt; lo < total; lo += batchSize) {
        const hi = Math.min(total, lo + batchSize);
        await client.query("BEGIN");
        await client.query(FILL_BATCH, historyParameters(shape, lo, hi));
        for (const statement of OLD_SHAPE_BATCH) await client.query(statement);
        await client.query("COMMIT");
        progress.update(hi);
      }
      progress.finish(total);
    };
    if (await deferringIndexes(client)) await withDeferredIndexes(client, OLD_TABLES, load, (line) => process.stderr.write(line + "\n"));
    else await load();
    await client.query(`VACUUM ANALYZE ${OLD_TABLES.map((t) => `"${t}"`).join(", ")}`);
  } finally {
    await client.end();
  }
}

/** Reads `table` every 50 ms on its own connection until stopped; the slowest read, in ms. */
function probe(url: string, statement: string) {
  let stopped = false;
  let slowest = 0;
  const running = (async () => {
    const client = await connect(url);
    try {
      while (!stopped) {
        const startedAt = performance.now();
        await client.query(statement).catch(() => undefined);
        slowest = Math.max(slowest, performance.now() - startedAt);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await running;
      return slowest;
    },
  };
}

async function timed(label: string, migration: string, rows: () => Promise<number>, probeStatement: string): Promise<void> {
  const migrations = migrationsWhere((entry) => entry <= migration);
  const moved = await rows();
  const reader = probe(urlOf(name), probeStatement);
  // Let the reader run once before the migration takes its locks.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const startedAt = performance.now();
  try {
    const result = await applyMigrations(urlOf(name), { migrationsDir: migrations });
    if (!result.applied.includes(migration)) throw new Error(`${migration} was not applied: ${JSON.stringify(result.applied)}`);
  } finally {
    rmSync(migrations, { recursive: true, force: true });
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const blockedMs = await reader.stop();
  out(JSON.stringify({ migration: label, rowsMoved: moved, seconds: +seconds.toFixed(1), rowsPerSecond: Math.round(moved / seconds), longestReaderWaitMs: Math.round(blockedMs) }));
}

/** Order.payment's read: one statement on the unpartitioned table, locator + one partition after. */
async function lookups(source: string): Promise<void> {
  const samples = 2_000;
  const before = await connect(urlOf(source));
  const after = await connect(urlOf(name));
  try {
    const { rows } = await before.query<{ id: string }>(
      `SELECT 'ord_' || md5('generated:42:' || (random() * ($1::int - 1))::int) AS id FROM generate_series(1, ${samples})`,
      [total],
    );
    const ids = rows.map((r) => r.id);
    const measure = async (label: string, read: (id: string) => Promise<number>) => {
      const times: number[] = [];
      let found = 0;
      for (const id of ids) {
        const startedAt = performance.now();
        found += await read(id);
        times.push(performance.now() - startedAt);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => +times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
      out(JSON.stringify({ label, samples, found, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) }));
    };
    await measure("payment by order id, unpartitioned (one statement)", async (id) => (await before.query(`SELECT * FROM "Payment" WHERE "orderId" = $1`, [id])).rowCount ?? 0);
    await measure("payment by order id, partitioned: its locator row, then one partition (the store's reads)", async (id) => {
      const owner = (await after.query<{ userId: string }>(`SELECT "userId" FROM "OrderLocator" WHERE id = $1`, [id])).rows[0];
      if (!owner) return 0;
      return (await after.query(`SELECT * FROM "Payment" WHERE "orderId" = $1 AND "userId" = $2`, [id, owner.userId])).rowCount ?? 0;
    });
    await measure("payment by order id, partitioned, no customer (every partition probed), for comparison", async (id) => (await after.query(`SELECT * FROM "Payment" WHERE "orderId" = $1`, [id])).rowCount ?? 0);
  } finally {
    await before.end();
    await after.end();
  }
}

const source = `${name}_source`;
if (args.flag("lookups")) {
  await lookups(source);
  process.exit(0);
}
await loadSource(source);
const admin = await connect(serverUrl);
await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
const copyStarted = performance.now();
await admin.query(`CREATE DATABASE ${name} TEMPLATE ${source}`);
await admin.end();
out(`copied ${source} to ${name} in ${((performance.now() - copyStarted) / 1000).toFixed(1)} s`);

const db = await connect(urlOf(name));
const count = async (tables: string[]) => {
  let n = 0;
  for (const table of tables) n += (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0]!.n;
  return n;
};
const someCustomer = (await db.query<{ userId: string }>(`SELECT "userId" FROM "Order" LIMIT 1`)).rows[0]!.userId;
// Orders: the locator rows it writes count as moved rows too (one per order).
await timed("orders_partitioned_by_customer", ORDERS_MIGRATION, async () => (await count(["Order", "OrderItem", "OrderStatusChange"])) + (await count(["Order"])),
  `SELECT count(*) FROM "Order" WHERE "userId" = '${someCustomer}'`);
await timed("payments_partitioned_by_customer", PAYMENTS_MIGRATION, () => count(["Payment", "PaymentAttempt", "PaymentRefund"]),
  `SELECT count(*) FROM "Payment" WHERE "userId" = '${someCustomer}'`);
await db.end();
