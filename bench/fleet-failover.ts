// The fleet under steady checkout and browse load, through both gateways, while processes and
// engines crash: figures for BENCHMARKS.md ("Fleet and failover").
//
//   nice -n 10 npx tsx bench/fleet-failover.ts [--gateways 2] [--replicas 2] [--browsers 4] [--shoppers 4] [--settle-seconds 8] [--no-engines]
//
// PostgreSQL, Redis and Kafka are this run's own (private instances on free ports: restarting
// the shared ones would break everyone else's tests); MongoDB is the shared one (MONGO_URL),
// under a database of this run's. Phases, each followed by `--settle-seconds` of plain load:
// 1. kill -9 one replica of each subgraph kind in turn, then a gateway; the supervisor
//    restarts each (time to healthy measured);
// 2. unless --no-engines: kill -9 Redis, then PostgreSQL, then Kafka, each started again at once.
// Per phase: reads and checkouts, failed reads and checkouts after the client's retries
// (target 0), first tries that failed (what the retries absorbed) and how long they went on.
// At the end: every accepted order final, one order per shopper, one charge per PAID order.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MongoClient } from "mongodb";
import { createLogger, issueAccessToken } from "#kernel";
import { DEFAULT_FLEET, type FleetOptions } from "../platform/fleet/fleet-plan.js";
import { startFleet } from "../platform/fleet/start-fleet.js";
import { startPaymentSimulator } from "../services/payment-simulator/src/index.js";
import { applyMigrations } from "../scripts/migrate/apply-migrations.js";
import { startFleetLoad, type FleetLoadReport } from "../test/support/fleet-client-load.js";
import { auditFleetOrders } from "../test/support/fleet-money-audit.js";
import { freePortRange, startPrivateKafka, startPrivatePostgres, startPrivateRedis, type PrivateEngine } from "../test/support/private-engines.js";
import { postGraphQL } from "../test/support/graphql-client.js";

const { values: args } = parseArgs({
  options: {
    gateways: { type: "string", default: "2" },
    replicas: { type: "string", default: "2" },
    browsers: { type: "string", default: "4" },
    shoppers: { type: "string", default: "4" },
    "settle-seconds": { type: "string", default: "8" },
    "no-engines": { type: "boolean", default: false },
  },
});
const mongoBase = process.env.MONGO_URL;
if (!mongoBase) throw new Error('Set MONGO_URL (eval "$(scripts/services.sh env)"); PostgreSQL, Redis and Kafka are started privately');
const settleMs = Number(args["settle-seconds"]) * 1000;
const run = randomUUID().replaceAll("-", "").slice(0, 10);
const auth = { secret: "fleet-bench-jwt-secret-0123456789", issuer: "storefront" };
const logger = createLogger("warn", { service: "fleet-bench" });
const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const started = Date.now();
const postgres = await startPrivatePostgres();
const redis = await startPrivateRedis().catch(async (error: unknown) => {
  await postgres.close();
  throw error;
});
const kafka = await startPrivateKafka().catch(async (error: unknown) => {
  await Promise.all([postgres.close(), redis.close()]);
  throw error;
});
log(`private engines up in ${seconds(Date.now() - started)}: PostgreSQL ${postgres.url}, Redis ${redis.url}, Kafka ${kafka.url}`);
await applyMigrations(postgres.url);
const simulator = await startPaymentSimulator({ latencyMs: 20 });
const mongo = new URL(mongoBase);
mongo.pathname = `/fleet_bench_${run}`;
const replicas = Number(args.replicas);
const options: FleetOptions = {
  ...DEFAULT_FLEET,
  basePort: await freePortRange(30),
  replicas: {
    ...DEFAULT_FLEET.replicas,
    ...Object.fromEntries(Object.keys(DEFAULT_FLEET.replicas).map((kind) => [kind, replicas])),
    gateway: Number(args.gateways),
    "payment-simulator": 0,
    notifications: 1,
  } as FleetOptions["replicas"],
};
let failed = false;
const logDir = mkdtempSync(join(tmpdir(), "fleet-bench-logs-"));
let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
try {
  const fleetStarted = Date.now();
  fleet = await startFleet({
    options,
    logDir,
    logger,
    env: {
      PATH: process.env.PATH,
      APP_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      KAFKA_BROKERS: kafka.url,
      MONGO_URL: mongo.toString(),
      JWT_SECRET: auth.secret,
      PAYMENT_PROVIDER_URL: simulator.url,
      SEED_PRODUCTS: "50",
      RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_COST_PER_MINUTE: "1000000000",
      // The load comes from one address, with more sockets than one client may hold.
      GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
      GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
      RATE_LIMIT_CHECKOUT_PER_MINUTE: "1000000",
      PAYMENT_RECOVERY_AFTER_MS: "8000",
      PAYMENT_RECOVERY_INTERVAL_MS: "2000",
    },
    readyTimeoutMs: 600_000,
  });
  log(`fleet of ${fleet.plan.processes.length} processes ready in ${seconds(Date.now() - fleetStarted)} (logs ${logDir})`);
  const gateway = fleet.plan.gatewayUrls[0]!;
  const listing = await postGraphQL<{ products: { edges: { node: { id: string } }[] } }>(gateway, `{ products(first: 20) { edges { node { id } } } }`);
  const productIds = listing.data!.products.edges.map((edge) => edge.node.id);
  const admin = await issueAccessToken(auth, { userId: "fleet-bench-admin", roles: ["admin"] });
  for (const id of productIds) await postGraphQL(gateway, `mutation($id: ID!) { restock(productId: $id, quantity: 100000, idempotencyKey: "${randomUUID()}") { available } }`, { id }, { token: admin });

  const load = startFleetLoad({ gatewayUrls: fleet.plan.gatewayUrls, auth, productIds, browsers: Number(args.browsers), shoppers: Number(args.shoppers), shopperPauseMs: 100, requestDeadlineMs: 60_000 });
  const snapshot = (report: FleetLoadReport) => ({
    at: Date.now(),
    reads: report.reads,
    failedReads: report.failedReads,
    retriedReads: report.retriedReads,
    checkouts: report.accepted.length,
    failedCheckouts: report.failedCheckouts.length,
    firstTryFailures: report.firstTryFailures.length,
  });
  const rows: string[] = [];
  const phase = async (name: string, disrupt: () => Promise<number>) => {
    const before = snapshot(load.report);
    const recoveredMs = await disrupt();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const after = snapshot(load.report);
    const failures = load.report.firstTryFailures.slice(before.firstTryFailures);
    const window = failures.length > 0 ? failures.at(-1)! - before.at : 0;
    const line = `| ${name} | ${seconds(recoveredMs)} | ${after.reads - before.reads} / ${after.failedReads - before.failedReads} | ${after.checkouts - before.checkouts} / ${after.failedCheckouts - before.failedCheckouts} | ${failures.length} over ${seconds(window)} |`;
    rows.push(line);
    log(line);
  };
  const running = fleet;
  const crashProcess = (name: string) => async () => {
    const at = Date.now();
    running.supervisor.kill(name, "SIGKILL");
    while (running.supervisor.processes.get(name)!.restarts < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await running.waitHealthy(name, 300_000);
    return Date.now() - at;
  };
  const crashEngine = (engine: PrivateEngine) => async () => {
    const at = Date.now();
    await engine.crash();
    await engine.start();
    return Date.now() - at;
  };

  await new Promise((resolve) => setTimeout(resolve, settleMs));
  log(`| crash | back after | reads / failed | checkouts accepted / failed | first tries failed (absorbed by client retries) |`);
  log(`| --- | --- | --- | --- | --- |`);
  await phase("steady load, nothing crashed", async () => 0);
  for (const kind of ["products", "search", "inventory", "cart", "orders", "payments", "accounts", "gateway"]) {
    if (options.replicas[kind as keyof FleetOptions["replicas"]] < 2) continue;
    await phase(`kill -9 ${kind}-1`, crashProcess(`${kind}-1`));
  }
  if (!args["no-engines"]) {
    await phase("kill -9 Redis, start again", crashEngine(redis));
    await phase("kill -9 PostgreSQL, start again", crashEngine(postgres));
    await phase("kill -9 Kafka, start again", crashEngine(kafka));
  }
  const report = await load.stop();
  const audit = await auditFleetOrders({ databaseUrl: postgres.url, ledgerUrl: simulator.url, report, settleTimeoutMs: 180_000 });
  log(`\ntotal: ${report.reads} reads (${report.failedReads} failed, ${report.retriedReads} retried), ${report.checkoutsStarted} checkouts started, ${audit.accepted} accepted, ${report.failedCheckouts.length} failed`);
  log(`errors seen by first tries: ${JSON.stringify(report.errorsByKind)}`);
  log(`audit: statuses ${JSON.stringify(audit.statuses)}, not final ${audit.notFinal.length}, duplicate orders ${audit.duplicateOrders}, double charged ${audit.doubleCharged}, PAID without charge ${audit.paidWithoutCharge}, orders of failed checkouts ${audit.ordersOfFailedCheckouts}, every order final ${seconds(audit.settledAfterMs)} after the load`);
  // Orders the reconciler had to finish: each is an outcome event that missed its effect.
  const reconciled = readdirSync(logDir)
    .filter((file) => file.startsWith("orders-"))
    .flatMap((file) => readFileSync(join(logDir, file), "utf8").split("\n"))
    .filter((line) => line.includes('"order reconciled from its payment')).length;
  log(`orders finished by the pending-order reconciler: ${reconciled}`);
  if (report.failedCheckouts.length > 0) log(`failed checkouts: ${JSON.stringify(report.failedCheckouts.map(({ reason }) => reason))}`);
  for (const process of fleet.supervisor.processes.values()) if (process.restarts > 0) log(`restarted: ${process.spec.name} x${process.restarts}`);
  failed = report.failedReads > 0 || report.failedCheckouts.length > 0 || audit.notFinal.length > 0 || audit.duplicateOrders > 0 || audit.doubleCharged > 0;
} finally {
  await fleet?.stop();
  await simulator.close();
  const client = await MongoClient.connect(mongo.toString());
  await client.db().dropDatabase().catch(() => undefined);
  await client.close();
  await Promise.all([postgres.close(), redis.close(), kafka.close()]);
}
process.exit(failed ? 1 : 0);
