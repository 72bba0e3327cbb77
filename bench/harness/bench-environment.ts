import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { DEFAULT_TOKEN_AUDIENCE, SUBGRAPH_NAMES, type Config } from "#kernel";
import { applyMigrations } from "../../scripts/migrate/apply-migrations.js";

/**
 * Names the benchmark gives its own data on shared engines, so it never touches anyone's.
 * BENCH_NAME suffixes the database and index and BENCH_REDIS_DB picks the Redis database, so
 * two runs on one machine's engines do not wipe each other's data.
 */
const BENCH_NAME_SUFFIX = process.env.BENCH_NAME ? `_${process.env.BENCH_NAME.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}` : "";
const BENCH_DATABASE = `storefront_bench${BENCH_NAME_SUFFIX}`;
const BENCH_REDIS_DB = process.env.BENCH_REDIS_DB || "9";
const BENCH_SEARCH_INDEX = `products_bench${BENCH_NAME_SUFFIX}`;

/**
 * The per-caller budgets every process of a run shares: the load comes from one address,
 * and the per-caller limits would otherwise measure themselves. The query limits (depth,
 * cost, tokens...) stay the product's: a scenario's queries must pass them as a client's do.
 */
export const BENCH_BUDGETS: Record<string, string> = {
  RATE_LIMIT_PER_MINUTE: "1000000000",
  RATE_LIMIT_COST_PER_MINUTE: "2000000000",
  // The load comes from one address, with more sockets than one client may hold.
  GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
  GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
  RATE_LIMIT_SEARCH_PER_MINUTE: "1000000000",
  RATE_LIMIT_CHECKOUT_PER_MINUTE: "1000000000",
  // The personalised scenario signs up a customer per virtual client from this one address.
  RATE_LIMIT_AUTH_PER_MINUTE: "1000000000",
};

export interface BenchEnvironment {
  /** Environment every process of the run shares (secrets, engines, limits). */
  env: Record<string, string>;
  /** Which engine serves each role, for the report. */
  engines: Record<string, string>;
  /** Whether the catalog's events cross processes (Kafka): the gateway cache needs it. */
  sharedBus: boolean;
  close(): Promise<void>;
}

/**
 * The engines of a run: the real ones whose URLs are configured (`scripts/services.sh env`),
 * each with a database, index or key space of the benchmark's own, made fresh; embedded
 * ones otherwise. Secrets are random per run.
 */
export async function prepareBenchEnvironment(config: Config, seedProducts: number): Promise<BenchEnvironment> {
  const env: Record<string, string> = {
    APP_ENV: "test",
    // As the image runs them (deploy/Dockerfile): graphql-js outside production checks every
    // failed instanceof for a second copy of itself, 2% of the subgraphs' CPU on a product read.
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    SEED_PRODUCTS: String(seedProducts),
    JWT_SECRET: randomBytes(32).toString("hex"),
    INTERNAL_SECRET: randomBytes(32).toString("hex"),
    // Named, as production needs (our gateway runs so): the default, which the run's tokens carry.
    JWT_AUDIENCE: DEFAULT_TOKEN_AUDIENCE,
    KAFKA_CLIENT_ID: "storefront-bench",
    ...BENCH_BUDGETS,
  };
  // Engines the run does not use are blanked (an empty value reads as unset), so nothing
  // inherited from the caller's shell points a process at someone else's data.
  for (const name of ["DATABASE_URL", "REDIS_URL", "KAFKA_BROKERS", "MONGO_URL", "OPENSEARCH_URL", "ELASTICSEARCH_URL", "MYSQL_URL"]) env[name] = "";
  const engines: Record<string, string> = {};
  const cleanups: (() => Promise<void>)[] = [];

  const { databaseUrl } = config.relational;
  if (databaseUrl) {
    const url = new URL(databaseUrl);
    url.pathname = `/${BENCH_DATABASE}`;
    await recreateDatabase(databaseUrl, BENCH_DATABASE);
    await applyMigrations(url.toString());
    env.DATABASE_URL = url.toString();
    engines.relational = `PostgreSQL ${url.host} (database ${BENCH_DATABASE})`;
  } else {
    const dir = mkdtempSync(join(tmpdir(), "storefront-bench-"));
    // The embedded PostgreSQL runs as its own OS user when the run is root's: it must reach
    // its data folder inside (mkdtemp makes it 0700).
    chmodSync(dir, 0o755);
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    env.EMBEDDED_DATA_DIR = dir;
    env.EMBEDDED_PG_PORT = String(await freePort());
    engines.relational = "embedded PostgreSQL";
  }
  if (config.cache.redisUrl) {
    const url = new URL(config.cache.redisUrl);
    url.pathname = `/${BENCH_REDIS_DB}`;
    const { Redis } = await import("ioredis");
    const redis = new Redis(url.toString());
    await redis.flushdb();
    await redis.quit();
    env.REDIS_URL = url.toString();
    engines.cache = `Redis ${url.host} (db ${BENCH_REDIS_DB})`;
  } else engines.cache = "embedded";
  if (config.events.kafkaBrokers) {
    env.KAFKA_BROKERS = config.events.kafkaBrokers.join(",");
    engines.events = `Kafka ${env.KAFKA_BROKERS}`;
  } else engines.events = "embedded (in-process; the gateway's response cache is off)";
  if (config.documents.mongoUrl) {
    const url = new URL(config.documents.mongoUrl);
    url.pathname = `/${BENCH_DATABASE}`;
    const { MongoClient } = await import("mongodb");
    const client = new MongoClient(url.toString(), { serverSelectionTimeoutMS: 5_000 });
    // A document store that accepts connections but answers no query would hang the whole
    // run at seeding; measure on the embedded store instead, and say so.
    const answered = await Promise.race([
      client.db().dropDatabase().then(() => client.db().collection("probe").countDocuments()).then(() => true, () => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref()),
    ]);
    await client.close(true).catch(() => undefined);
    if (answered) {
      env.MONGO_URL = url.toString();
      engines.products = `MongoDB wire protocol ${url.host} (database ${BENCH_DATABASE})`;
    } else engines.products = `embedded (the document store at ${url.host} did not answer a query within 10 s)`;
  } else engines.products = "embedded";
  const searchUrl = config.search.openSearchUrl ?? config.search.elasticsearchUrl;
  if (searchUrl) {
    await fetch(`${searchUrl.replace(/\/$/, "")}/${BENCH_SEARCH_INDEX}`, { method: "DELETE" }).catch(() => undefined);
    env[config.search.openSearchUrl ? "OPENSEARCH_URL" : "ELASTICSEARCH_URL"] = searchUrl;
    env.SEARCH_INDEX = BENCH_SEARCH_INDEX;
    engines.search = `${config.search.openSearchUrl ? "OpenSearch" : "Elasticsearch"} ${new URL(searchUrl).host} (index ${BENCH_SEARCH_INDEX})`;
  } else engines.search = "embedded";
  // Accounts are not on any benchmarked path; their real database is left alone.
  engines.accounts = "embedded";

  return {
    env,
    engines,
    sharedBus: Boolean(config.events.kafkaBrokers),
    async close() {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    },
  };
}

/**
 * BENCH_PORT_RANGE ("43500-43999") keeps every port a run opens inside one range, for a
 * machine whose users each own a range; without it the system picks.
 */
const portRange = /^(\d+)-(\d+)$/.exec(process.env.BENCH_PORT_RANGE ?? "");
let nextPortInRange = portRange ? Number(portRange[1]) : 0;

export async function freePort(): Promise<number> {
  if (!portRange) return listenOnce(0);
  for (; nextPortInRange <= Number(portRange[2]); nextPortInRange++) {
    const port = await listenOnce(nextPortInRange).catch(() => undefined);
    if (port !== undefined) return nextPortInRange++;
  }
  throw new Error(`BENCH_PORT_RANGE ${process.env.BENCH_PORT_RANGE}: no free port left`);
}

/** Whether a port can be listened on (0: any), answered with the port it got. */
async function listenOnce(wanted: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(wanted, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function recreateDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

/**
 * With BENCH_PORT_RANGE, the ports of the subgraphs' process (every subgraph, its reference
 * gateway, the payment simulator), drawn from the range; without it that process asks the
 * system for free ones.
 */
export async function platformPortsInRange(): Promise<Record<string, string>> {
  if (!portRange) return {};
  const ports: Record<string, string> = { BENCH_FIXED_PORTS: "1" };
  for (const name of [...SUBGRAPH_NAMES.map((n) => `${n.toUpperCase()}_PORT`), "GATEWAY_PORT", "PAYMENT_SIMULATOR_PORT", "NOTIFICATIONS_PORT"]) ports[name] = String(await freePort());
  return ports;
}
