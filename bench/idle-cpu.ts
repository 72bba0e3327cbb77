// What an idle platform costs: `npm start` on the real engines, left alone once ready, and the
// CPU it and each engine use while nothing is asked; then what delivery costs in latency, so a
// cut in idle work is not paid for with slower events (publish -> handler through the event
// bus, and checkout -> PAID through the whole pipeline: outbox relay, Kafka, payments, orders).
//
//   eval "$(scripts/services.sh env)"
//   nice -n 10 npx tsx bench/idle-cpu.ts [--idle-seconds 60] [--settle-seconds 60] [--deliveries 30]
//       [--checkouts 10] [--engines-alone] [--without-kafka] [--cpu-prof .run/idle-profile] [--name idle_cpu]
//
// The platform is a deployment of its own on the shared engines (600 products, database,
// search alias and Kafka prefix `--name`, Redis database 12; see bench/scale), kept between runs. The engines'
// figures include whatever else uses them on a shared machine: `--engines-alone` measures them
// for the same time before the platform starts, to tell the platform's share from the rest.
// `--without-kafka` runs the platform on the embedded event bus (the rest on the real engines):
// the difference is what its Kafka consumers cost.
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { createLogger, issueAccessToken, loadConfig, type DomainEvent } from "#kernel";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { postGraphQL } from "../test/support/graphql-client.js";
import { cpuMsByRole, sampleProcessCpu } from "./harness/process-cpu.js";
import { loadScaleCatalog, scaleEnvironment } from "./scale/load-scale-catalog.js";
import { startPlatformProcess } from "./scale/platform-process.js";

const { values } = parseArgs({
  options: {
    "idle-seconds": { type: "string", default: "60" },
    // V8 shrinks the heap with a few full collections about 30 s after start-up work ends, on
    // four helper threads: a one-time cost that a 20 s settle counted as idle (about 400 ms).
    "settle-seconds": { type: "string", default: "60" },
    deliveries: { type: "string", default: "30" },
    checkouts: { type: "string", default: "10" },
    "engines-alone": { type: "boolean", default: false },
    "without-kafka": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    name: { type: "string", default: "idle_cpu" },
  },
});
const idleMs = Number(values["idle-seconds"]) * 1000;
const NAME = values.name;
const PRODUCTS = 600;
const auth = { secret: "idle-bench-jwt-secret-0123456789", issuer: "storefront" };
const env = {
  ...scaleEnvironment(NAME, 12),
  APP_ENV: "development",
  LOG_LEVEL: "warn",
  EMBEDDED_DATA_DIR: `.run/bench-data/${NAME}`,
  // Accounts stay embedded, as in the other scale runs (MariaDB is not on these paths).
  MYSQL_URL: "",
  JWT_SECRET: auth.secret,
  JWT_ISSUER: auth.issuer,
  ...(values["without-kafka"] ? { KAFKA_BROKERS: "" } : {}),
};
const withKafka = !values["without-kafka"];
const ENGINES = ["postgresql", "kafka", "redis", "ferretdb", "opensearch"];

/** CPU ms per role over `ms` of doing nothing, for the processes `roles` names and the engines. */
async function idleCpu(roles: Map<number, string>, ms: number): Promise<Map<string, number>> {
  const before = sampleProcessCpu(roles);
  await delay(ms);
  return cpuMsByRole(before, sampleProcessCpu(roles));
}

/**
 * Times the process's threads went to sleep and were woken (voluntary context switches): each
 * timer or socket that wakes an idle process costs it a round of the event loop and a few
 * system calls. Unlike CPU time it does not grow with the rest of a loaded machine's work.
 */
function wakeups(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${task}/status`, "utf8");
    total += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return total;
}

const percentOfCore = (ms: number) => `${((ms / idleMs) * 100).toFixed(2)}%`;
function quantiles(values: number[]): string {
  if (values.length === 0) return "none arrived";
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!.toFixed(1);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (${sorted.length})`;
}

/** Events published one by one, `gapMs` apart, each timed until a subscriber in another group of this process handles it. */
async function deliveryLatency(count: number, gapMs: number): Promise<number[]> {
  const config = loadConfig(env);
  const bus = new KafkaEventBus({ brokers: config.events.kafkaBrokers!, clientId: "idle-bench", topicPrefix: config.events.topicPrefix, logger: createLogger("warn") });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const topic = "idle-bench.probe";
  const subscription = await bus.subscribe({
    topic,
    group: `idle-bench-${randomUUID().slice(0, 8)}`,
    start: "latest",
    handle: async (event) => {
      const at = sentAt.get(event.id);
      if (at !== undefined) latencies.push(performance.now() - at);
    },
  });
  try {
    for (let i = 0; i < count; i++) {
      const event: DomainEvent = { id: randomUUID(), type: "IdleProbe", key: `probe-${i % 5}`, occurredAt: new Date().toISOString(), payload: { i } };
      sentAt.set(event.id, performance.now());
      await bus.publish(topic, [event]);
      await delay(gapMs);
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < count && Date.now() < deadline) await delay(50);
    return latencies;
  } finally {
    await subscription.stop();
    await bus.close();
  }
}

const CHECKOUT = `mutation Checkout($key: String!) { checkout(idempotencyKey: $key, shippingAddress: { recipientName: "Idle Shopper", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }, shippingMethodId: "shp_standard") { id status } }`;

/** Checkouts one at a time, `gapMs` apart (each meets an idle pipeline), timed from sending to the order's PAID transition. */
async function timeToPaid(gatewayUrl: string, count: number, gapMs: number): Promise<number[]> {
  const started = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const token = await issueAccessToken(auth, { userId: `idle-shopper-${randomUUID().slice(0, 8)}`, roles: ["customer"] });
    // A product sold in variants asks which one (VARIANT_REQUIRED), and one that earlier runs on
    // this kept deployment sold out refuses: the next product is tried.
    for (let n = i * 37; ; n++) {
      const productId = `prod_${String(1 + (n % PRODUCTS)).padStart(7, "0")}`;
      const added = await postGraphQL(gatewayUrl, `mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { totalQuantity } }`, { id: productId }, { token });
      if (!added.errors) break;
      const skippable = ["VARIANT_REQUIRED", "OUT_OF_STOCK"].includes(String(added.errors[0]?.extensions?.code));
      if (!skippable || n > i * 37 + PRODUCTS) throw new Error(`addToCart: ${JSON.stringify(added.errors)}`);
    }
    const sentAt = Date.now();
    const answer = await postGraphQL<{ checkout: { id: string } }>(gatewayUrl, CHECKOUT, { key: randomUUID() }, { token });
    if (answer.errors || !answer.data) throw new Error(`checkout: ${JSON.stringify(answer.errors)}`);
    started.set(answer.data.checkout.id, sentAt);
    await delay(gapMs);
  }
  const db = new pg.Client({ connectionString: loadConfig(env).relational.databaseUrl });
  await db.connect();
  try {
    const ids = [...started.keys()];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await db.query<{ orderId: string; at: Date }>(`SELECT "orderId", at FROM "OrderStatusChange" WHERE "orderId" = ANY($1::text[]) AND "to" = 'PAID'`, [ids]);
      if (rows.length === ids.length || Date.now() > deadline) return rows.map((row) => row.at.getTime() - started.get(row.orderId)!);
      await delay(200);
    }
  } finally {
    await db.end();
  }
}

function table(title: string, byRole: Map<string, number>, roles: string[]): void {
  console.log(`\n${title} (CPU ms over ${idleMs / 1000} s, share of one core)`);
  for (const role of roles) {
    const ms = byRole.get(role) ?? 0;
    console.log(`  ${role.padEnd(12)} ${String(Math.round(ms)).padStart(7)} ms  ${percentOfCore(ms).padStart(7)}`);
  }
}

console.log(`idle platform: ${PRODUCTS} products, deployment "${NAME}", ${idleMs / 1000} s idle after ${values["settle-seconds"]} s settling${withKafka ? "" : ", embedded event bus"}`);
await loadScaleCatalog(env, PRODUCTS, (line) => console.log(`  ${line}`));
if (values["engines-alone"]) table("engines, before the platform starts", await idleCpu(new Map(), idleMs), ENGINES);

const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : [];
const platform = await startPlatformProcess(env, `.run/bench-logs/idle/${NAME}-platform.log`, nodeArgs);
try {
  console.log(`npm start ready in ${platform.readySeconds} s (its banner)`);
  await delay(Number(values["settle-seconds"]) * 1000);
  const load = loadavg()[0]!;
  const wokenBefore = wakeups(platform.pid);
  const byRole = await idleCpu(new Map([[platform.pid, "platform"]]), idleMs);
  const woken = wakeups(platform.pid) - wokenBefore;
  table("idle, platform running", byRole, ["platform", ...ENGINES]);
  console.log(`  platform wake-ups: ${(woken / (idleMs / 1000)).toFixed(1)} a second (all its threads); machine load average ${load.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`);
  if (withKafka && Number(values.deliveries) > 0) {
    const delivered = await deliveryLatency(Number(values.deliveries), 200);
    console.log(`\npublish -> handler (${values.deliveries} events 200 ms apart, a group of this process): ${quantiles(delivered)}`);
  }
  if (Number(values.checkouts) > 0) {
    const paid = await timeToPaid(platform.gatewayUrl, Number(values.checkouts), 1_000);
    console.log(`checkout sent -> order PAID (${values.checkouts} checkouts 1 s apart): ${quantiles(paid)}`);
  }
} finally {
  await platform.stop();
}
process.exit(0);
