// Reservations per second, p50 and p99, for one hot product and for many products: at the
// inventory service (in process, and over HTTP as the orders subgraph calls it), through the
// public gateway, and beside them the physical limits of this machine: raw Redis DECR and
// raw PostgreSQL conditional UPDATE.
//
//   npx tsx bench/inventory-reservations.ts [--seconds 3] [--concurrency 64]
//
// Real engines when DATABASE_URL / REDIS_URL are set (`eval "$(scripts/services.sh env postgres redis)"`),
// embedded ones otherwise. Everything runs in this one process: client and servers share the CPUs.
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { createLogger, createSubgraphClient, EmbeddedEventBus, issueAccessToken, loadConfig, type Config, type Platform } from "#kernel";
import { createPrismaClient } from "#kernel/relational";
import { startProductsSubgraph } from "../subgraphs/products/src/products-subgraph.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { startInventorySubgraph } from "../subgraphs/inventory/src/inventory-subgraph.js";
import { createInventoryService } from "../subgraphs/inventory/src/domain/inventory.service.js";
import { PrismaStockLedger } from "../subgraphs/inventory/src/adapters/prisma-stock-ledger.js";
import { EmbeddedStockCache } from "../subgraphs/inventory/src/adapters/embedded-stock-cache.js";
import { startGateway } from "../gateway/src/gateway-server.js";
import { waitFor } from "#kernel/testing";
import { openBenchEngines } from "./inventory-engines.js";
import { formatTable, runLoad, type LoadOutcome } from "./inventory-load.js";

const { values: args } = parseArgs({ options: { seconds: { type: "string", default: "3" }, concurrency: { type: "string", default: "64" } } });
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const PRODUCTS = 1_000;
const UNITS = 1_000_000;
const HOT = "prod_0000001";
const SOLD_OUT = "bench_sold_out";
const catalog = [...generateCatalog({ count: PRODUCTS })];
// Stock is per variant: each product's first variant (the product itself when it has no options).
const variantIds = catalog.map((g) => g.product.variants[0]!.id);
const productId = (n: number) => variantIds[n % PRODUCTS]!;
const run = Date.now().toString(36);

const logger = createLogger("warn", { service: "inventory-bench" });
const engines = await openBenchEngines({ DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL }, logger);
const config: Config = loadConfig({
  APP_ENV: "test",
  LOG_LEVEL: "warn",
  DATABASE_URL: engines.databaseUrl,
  // The load comes from one caller: per-caller limits would only measure themselves.
  RATE_LIMIT_PER_MINUTE: "1000000000",
  RATE_LIMIT_COST_PER_MINUTE: "2000000000",
  // The load comes from one address, with more sockets than one client may hold.
  GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
  GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
  RESPONSE_CACHE_TTL_SECONDS: "0",
  MAX_QUANTITY_PER_ORDER: "10",
  RESERVATION_SWEEP_INTERVAL_MS: "60000",
});
const bus = new EmbeddedEventBus();
const platform: Platform = {
  config,
  logger,
  databaseUrl: engines.databaseUrl,
  bus,
  kv: engines.kv,
  engines: { relational: engines.names.relational, events: "embedded", cache: engines.names.cache },
  close: async () => {},
};
const prisma = createPrismaClient(engines.databaseUrl, { poolSize: 20 });
const products = await startProductsSubgraph(platform, { port: 0 });
await products.store.insertMany(catalog.map((g) => g.product));
const inventory = await startInventorySubgraph(platform, { port: 0, prisma, productsUrl: products.url });
const service = inventory.service;
await service.seedStock([...Array.from({ length: PRODUCTS }, (_, n) => ({ variantId: productId(n), stock: UNITS })), { variantId: SOLD_OUT, stock: 0 }]);
await waitFor("the stock mirror is built", () => service.mirror.status().trusted, { timeoutMs: 30_000 });
// The same ledger with its mirror unreachable: what Redis is worth, measured.
const unreachable = new EmbeddedStockCache();
unreachable.down();
const ledgerOnly = createInventoryService({
  ledger: new PrismaStockLedger(prisma),
  cache: unreachable,
  catalog: { variantIdsOf: async (id) => [id], variantExists: async () => true },
  logger,
  reservationTtlMs: config.inventory.reservationTtlMs,
  maxQuantityPerOrder: config.inventory.maxQuantityPerOrder,
});
const gateway = await startGateway({
  config: { ...config, gateway: { ...config.gateway, subgraphUrls: { ...config.gateway.subgraphUrls, products: products.url, inventory: inventory.url } } },
  logger,
  bus,
  port: 0,
});
const admin = await issueAccessToken({ secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer }, { userId: "bench-admin", roles: ["admin"] });
const subgraph = createSubgraphClient({ url: inventory.url, audience: "inventory", internalSecret: config.auth.internalSecret, serviceName: "inventory-bench", connections: concurrency });

/** A reservation that must succeed, or (sold out) fail with OUT_OF_STOCK; anything else counts as an error. */
const reserveOne = (reserve: (id: string, items: { variantId: string; quantity: number }[]) => Promise<unknown>, label: string, pick: (n: number) => string, expectOutOfStock = false) =>
  async (n: number) => {
    try {
      await reserve(`${label}-${run}-${n}`, [{ variantId: pick(n), quantity: 1 }]);
      if (expectOutOfStock) throw new Error("a sold-out product was reserved");
    } catch (error) {
      const code = (error as { extensions?: { code?: string } }).extensions?.code;
      if (!(expectOutOfStock && code === "OUT_OF_STOCK")) throw error;
    }
  };
const viaService = (id: string, items: { variantId: string; quantity: number }[]) => service.reserve(id, items);
const viaLedgerOnly = (id: string, items: { variantId: string; quantity: number }[]) => ledgerOnly.reserve(id, items);
const viaHttp = (id: string, items: { variantId: string; quantity: number }[]) =>
  subgraph.request(`mutation($id: ID!, $items: [StockItemInput!]!) { reserveStock(reservationId: $id, items: $items) { id status } }`, { id, items });

async function viaGateway(query: string, variables: Record<string, unknown>, token?: string): Promise<void> {
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (!response.ok || body.errors) throw new Error(`gateway answered ${response.status}: ${JSON.stringify(body.errors)}`);
}

const pool = new pg.Pool({ connectionString: engines.databaseUrl, max: 20 });
await pool.query(`INSERT INTO "StockLevel" ("variantId", "productId", available, reserved, "updatedAt") SELECT 'raw_' || n, 'raw_' || n, ${UNITS}, 0, now() FROM generate_series(0, ${PRODUCTS - 1}) AS n`);
await pool.query(`INSERT INTO "StockLevel" ("variantId", "productId", available, reserved, "updatedAt") VALUES ('raw_hot', 'raw_hot', ${UNITS * 100}, 0, now())`);
const conditionalUpdate = (id: string) => pool.query(`UPDATE "StockLevel" SET available = available - 1 WHERE "variantId" = $1 AND available >= 1`, [id]);
await engines.setCounter("raw-decr", UNITS * 100);

const load = (label: string, op: (n: number) => Promise<unknown>, c = concurrency) => runLoad({ label, concurrency: c, seconds, op });
const rows: (LoadOutcome | string)[] = [];
const section = (title: string) => {
  rows.push(title);
  process.stderr.write(`${title}\n`);
};
section("physical limits");
rows.push(await load("redis DECR, one key", () => engines.decrement("raw-decr")));
rows.push(await load("postgres conditional UPDATE, one hot row", () => conditionalUpdate("raw_hot")));
rows.push(await load("postgres conditional UPDATE, 1000 rows", (n) => conditionalUpdate(`raw_${n % PRODUCTS}`)));
section("inventory service, in process");
rows.push(await load("reserve, one hot product", reserveOne(viaService, "svc-hot", () => HOT)));
rows.push(await load("reserve, 1000 products", reserveOne(viaService, "svc-many", productId)));
rows.push(await load("reserve, hot product sold out (refused)", reserveOne(viaService, "svc-out", () => SOLD_OUT, true)));
rows.push(await load("reserve, one hot product, mirror down", reserveOne(viaLedgerOnly, "ldg-hot", () => HOT)));
rows.push(await load("reserve, 1000 products, mirror down", reserveOne(viaLedgerOnly, "ldg-many", productId)));
rows.push(await load("reserve, sold out, mirror down (refused)", reserveOne(viaLedgerOnly, "ldg-out", () => SOLD_OUT, true)));
section("inventory subgraph over HTTP (signed service call, as orders makes it)");
rows.push(await load("reserveStock, one hot product", reserveOne(viaHttp, "http-hot", () => HOT)));
rows.push(await load("reserveStock, 1000 products", reserveOne(viaHttp, "http-many", productId)));
rows.push(await load("reserveStock, hot product sold out (refused)", reserveOne(viaHttp, "http-out", () => SOLD_OUT, true)));
section("public gateway (reservations are internal: clients reserve through checkout)");
rows.push(await load("restock (admin), one hot product", () => viaGateway(`mutation($id: ID!) { restock(variantId: $id, quantity: 1, idempotencyKey: "${randomUUID()}") { available } }`, { id: HOT }, admin)));
rows.push(await load("restock (admin), 1000 products", (n) => viaGateway(`mutation($id: ID!) { restock(variantId: $id, quantity: 1, idempotencyKey: "${randomUUID()}") { available } }`, { id: productId(n) }, admin)));
rows.push(await load("product { stock inStock }, one hot product", () => viaGateway(`query($id: ID!) { product(id: $id) { id stock inStock } }`, { id: HOT })));
rows.push(await load("products(first: 20) { stock }", () => viaGateway(`{ products(first: 20) { edges { node { id stock } } } }`, {})));

const mirror = service.mirror.status();
const [hot] = (await pool.query<{ available: number; reserved: number }>(`SELECT available, reserved FROM "StockLevel" WHERE "variantId" = $1`, [HOT])).rows;
process.stdout.write(
  [
    `Inventory reservations benchmark  ${new Date().toISOString()}`,
    `engines: relational=${engines.names.relational} cache=${engines.names.cache}; ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ""}; node ${process.version}`,
    `concurrency ${concurrency} closed-loop callers, ${seconds} s per row after 0.5 s warm-up; Prisma pool 20, pg pool 20`,
    "",
    formatTable(rows),
    "",
    `mirror: ${mirror.admitted} admitted, ${mirror.bypassed} bypassed, ${mirror.rebuilds} rebuild(s), ${mirror.doubts} doubt(s); ${HOT} in the ledger: available ${hot?.available}, reserved ${hot?.reserved}`,
    "",
  ].join("\n"),
);

await subgraph.close();
await gateway.close();
await ledgerOnly.mirror.stop();
await inventory.close();
await products.close();
await prisma.$disconnect();
await pool.end();
await bus.close();
await engines.close();
