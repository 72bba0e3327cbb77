// What a stock mirror rebuild costs the stock changes running beside it, at the size of a
// database's stock table (1,415,552 variants for the 1M catalog). One inventory "process"
// reserves and releases one unit of random variants without pause (`--changers` at once);
// another process starts, which rebuilds the mirror from the ledger (as a doubt makes a process
// do; a start alone adopts a mirror it can prove current). With `--restart`, it starts as a
// rolling restart does: it adopts the current mirror, and the figures are those of a start.
// Reported per rebuild: how long it took, and the changes before, during and after it
// (per second, p50 / p99 / max, and the longest spell in which no change finished).
//
//   eval "$(scripts/services.sh env)"
//   npx tsx bench/stock-mirror-rebuild.ts --database catalog_1m [--changers 8] [--rebuilds 3] [--restart]
//
// Real PostgreSQL and Redis only. The counters live under a namespace of their own, removed at
// the end with the bench's reservations and their StockChanged events; the variants' stock is
// left as found (every reservation is released).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { createLogger, InventoryEventTypes } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { RedisStockCache } from "../subgraphs/inventory/src/adapters/redis-stock-cache.js";
import { PrismaStockLedger } from "../subgraphs/inventory/src/adapters/prisma-stock-ledger.js";
import { createInventoryService } from "../subgraphs/inventory/src/domain/inventory.service.js";
import { createStockMirror } from "../subgraphs/inventory/src/domain/stock-mirror.js";

const execFileAsync = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    database: { type: "string" },
    changers: { type: "string", default: "8" },
    rebuilds: { type: "string", default: "3" },
    namespace: { type: "string" },
    role: { type: "string", default: "changer" },
    settle: { type: "string", default: "3" },
    restart: { type: "boolean", default: false },
  },
});
const baseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!baseUrl || !redisUrl) throw new Error("Needs DATABASE_URL and REDIS_URL: eval \"$(scripts/services.sh env)\"");
const databaseUrl = args.database ? Object.assign(new URL(baseUrl), { pathname: `/${args.database}` }).toString() : baseUrl;
const changers = Number(args.changers);
const settleMs = Number(args.settle) * 1_000;
const run = `bench-rebuild-${Date.now().toString(36)}`;
const namespace = args.namespace ?? `${run}:`;
const logger = createLogger("warn", { service: "stock-mirror-rebuild-bench" });

const prisma = createPrismaClient(databaseUrl, { poolSize: changers + 4 });
const stores: RedisKeyValueStore[] = [];
async function redisCache(): Promise<RedisStockCache> {
  const store = new RedisKeyValueStore(redisUrl!);
  await store.connect();
  stores.push(store);
  return new RedisStockCache(store.client, { namespace });
}

if (args.role === "rebuilder") {
  // The other process: starts a mirror (which rebuilds at once, or with --restart adopts the
  // current one), says when it trusts it, and ends.
  const mirror = createStockMirror({ cache: await redisCache(), ledger: new PrismaStockLedger(prisma), logger });
  if (!args.restart) mirror.doubt("the bench asks for a rebuild");
  const start = performance.now();
  mirror.start();
  await until(() => mirror.status().trusted);
  // Peak resident memory: the rebuild holds what it has read until the mirror has it.
  const { rebuilds, adopted } = mirror.status();
  console.log(JSON.stringify({ trustedAfterMs: performance.now() - start, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), rebuilds, adopted }));
  await mirror.stop();
  for (const store of stores) await store.close();
  await prisma.$disconnect();
  process.exit(0);
}

const [{ count } = { count: 0n }] = await prisma.$queryRaw<{ count: bigint }[]>`SELECT count(*) FROM "StockLevel"`;
// Variants with units to spare, so a reservation of one is never refused for want of stock: a
// sample of 2 % of the table's pages, or the whole table when that sample holds none (a small
// table's few pages are all skipped as often as not).
const sampled = await prisma.$queryRaw<{ variantId: string }[]>`
  SELECT "variantId" FROM "StockLevel" TABLESAMPLE SYSTEM (2) WHERE available >= 10 LIMIT 20000`;
const variants = (sampled.length ? sampled : await prisma.$queryRaw<{ variantId: string }[]>`SELECT "variantId" FROM "StockLevel" WHERE available >= 10 LIMIT 20000`).map((row) => row.variantId);
if (variants.length === 0) throw new Error("No variant with stock to spare in this database");
console.log(`${databaseUrl.replace(/\/\/[^@]*@/, "//")}: ${count} stock levels; ${changers} changers on ${variants.length} variants`);

const benchStart = new Date();
const ledger = new PrismaStockLedger(prisma);
const service = createInventoryService({
  ledger,
  cache: await redisCache(),
  catalog: { variantIdsOf: async () => null, variantExists: async () => true },
  logger,
  reservationTtlMs: 600_000,
  maxQuantityPerOrder: 10,
  clock: () => new Date(),
});

/** Each finished change: when it finished and how long it took. */
const done: { at: number; took: number }[] = [];
let failures = 0;
let stopping = false;
let sequence = 0;
const changer = async () => {
  while (!stopping) {
    const id = `${run}-${sequence++}`;
    const variantId = variants[Math.floor(Math.random() * variants.length)]!;
    const start = performance.now();
    try {
      await service.reserve(id, [{ variantId, quantity: 1 }]);
      done.push({ at: performance.now(), took: performance.now() - start });
      const releasing = performance.now();
      await service.release(id);
      done.push({ at: performance.now(), took: performance.now() - releasing });
    } catch (error) {
      failures += 1;
      if (failures <= 3) console.log(`  change failed: ${String(error)}`);
    }
  }
};
let running: Promise<void>[] = [];

// Everything from the first rebuild on is undone in `finally`, even when a step throws: the
// counters alone are millions of keys at the design's catalog.
try {
  const firstStart = performance.now();
  service.mirror.start();
  // A first rebuild of millions of levels on a loaded machine takes minutes.
  await until(() => service.mirror.status().trusted, 600_000);
  console.log(`first rebuild (nothing running beside it): ${ms(performance.now() - firstStart)}`);
  running = Array.from({ length: changers }, changer);
  for (let round = 1; round <= Number(args.rebuilds); round++) {
    await sleep(settleMs);
    const before = service.mirror.status();
    const start = performance.now();
    // Another process, as in production: its rebuild's reading and parsing of every level
    // does not share this process's event loop.
    const other = await execFileAsync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...(args.database ? ["--database", args.database] : []), ...(args.restart ? ["--restart"] : []), "--role", "rebuilder", "--namespace", namespace], { encoding: "utf8", env: process.env });
    const end = performance.now();
    await until(() => service.mirror.status().trusted);
    const firstTrustedAgain = performance.now();
    await sleep(settleMs);
    const after = service.mirror.status();
    const rebuilder = JSON.parse(other.stdout.trim().split("\n").at(-1)!) as { trustedAfterMs: number; maxRssMb: number; rebuilds: number; adopted: number };
    console.log(`rebuild ${round}: the new process trusted the mirror after ${ms(rebuilder.trustedAfterMs)} (${rebuilder.rebuilds} rebuilds, ${rebuilder.adopted} adopted; ${ms(end - start)} from its spawn, peak RSS ${rebuilder.maxRssMb} MB); the running one ${ms(firstTrustedAgain - start)} (${after.rebuilds - before.rebuilds} own rebuilds, ${(after as { adopted?: number }).adopted !== undefined ? (after as { adopted: number }).adopted - ((before as { adopted?: number }).adopted ?? 0) : "-"} adopted, ${after.bypassed - before.bypassed} reservations by the ledger alone)`);
    report("  before", done.filter((d) => d.at >= start - settleMs && d.at < start), settleMs);
    report("  during", done.filter((d) => d.at >= start && d.at < end), end - start);
    report("  after ", done.filter((d) => d.at >= end && d.at < end + settleMs), settleMs);
  }
} finally {
  stopping = true;
  await Promise.all(running);
  await service.mirror.stop();
  console.log(`changes that failed: ${failures}`);
  await prisma.$executeRawUnsafe(`DELETE FROM "ReservationItem" WHERE "reservationId" LIKE '${run}-%'`);
  await prisma.$executeRawUnsafe(`DELETE FROM "Reservation" WHERE id LIKE '${run}-%'`);
  // Nothing publishes this database's outbox: the bench's events would only pile up.
  await prisma.$executeRaw`DELETE FROM "OutboxEvent" WHERE "occurredAt" >= ${benchStart} AND type = ${InventoryEventTypes.stockChanged} AND "publishedAt" IS NULL`;
  let cursor = "0";
  do {
    const [next, keys] = await stores[0]!.client.scan(cursor, "MATCH", `${namespace}*`, "COUNT", 10_000);
    if (keys.length > 0) await stores[0]!.client.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
  for (const store of stores) await store.close();
  await prisma.$disconnect();
}

function report(label: string, changes: { at: number; took: number }[], spanMs: number): void {
  const took = changes.map((c) => c.took).sort((a, b) => a - b);
  const at = changes.map((c) => c.at).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < at.length; i++) gap = Math.max(gap, at[i]! - at[i - 1]!);
  const pct = (p: number) => (took.length ? took[Math.min(took.length - 1, Math.floor(took.length * p))]! : Number.NaN);
  console.log(
    `${label}: ${changes.length} changes, ${Math.round((changes.length * 1000) / spanMs)}/s; p50 ${ms(pct(0.5))}, p99 ${ms(pct(0.99))}, max ${ms(took.at(-1) ?? Number.NaN)}; longest spell with none finishing ${ms(gap)}`,
  );
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(10);
  }
}
