import { EnvReader } from "./env-reader.js";
import type { LogLevel } from "../logging/logger.js";

export const SUBGRAPH_NAMES = ["products", "search", "inventory", "cart", "orders", "payments"] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const DEFAULT_PORTS: Record<SubgraphName, number> = {
  products: 4001,
  search: 4002,
  inventory: 4003,
  cart: 4004,
  orders: 4005,
  payments: 4006,
};

const DEV_SECRET = "dev-only-secret-change-me-in-production-0123456789";

/** Every setting of the platform, parsed and validated once at start. */
export interface Config {
  env: "development" | "production" | "test";
  logLevel: LogLevel;
  host: string;
  gateway: {
    port: number;
    subgraphUrls: Record<SubgraphName, string>;
    rateLimitPerMinute: number;
    /** Trust X-Forwarded-For for the client address (only behind a proxy you run). */
    trustProxy: boolean;
    /** Path of the composed supergraph SDL the gateway serves. */
    supergraphPath: string;
  };
  subgraphPorts: Record<SubgraphName, number>;
  auth: {
    /** HS256 secret for access tokens (development and tests). */
    jwtSecret: string;
    /** RS256 key set for access tokens in production; wins over the secret when set. */
    jwksUrl?: string;
    jwtIssuer: string;
    /** Shared secret signing the identity the gateway forwards to subgraphs. */
    internalSecret: string;
  };
  relational: { databaseUrl?: string; embeddedDir: string; embeddedPort: number };
  documents: { mongoUrl?: string };
  search: { openSearchUrl?: string; elasticsearchUrl?: string; indexName: string };
  events: { kafkaBrokers?: string[]; clientId: string };
  cache: { redisUrl?: string };
  accounts: { mysqlUrl?: string };
  inventory: { reservationTtlMs: number; maxQuantityPerOrder: number };
  catalog: { seedProducts: number };
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const read = new EnvReader(env);
  const appEnv = read.oneOf("APP_ENV", ["development", "production", "test"] as const, "development");
  const host = read.string("HOST", "127.0.0.1");
  const subgraphPorts = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, read.int(`${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name], { max: 65535 })]),
  ) as Record<SubgraphName, number>;
  const subgraphUrls = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [
      name,
      read.string(`${name.toUpperCase()}_URL`, `http://${host}:${subgraphPorts[name]}/graphql`),
    ]),
  ) as Record<SubgraphName, string>;

  const jwtSecret = read.string("JWT_SECRET", DEV_SECRET);
  const internalSecret = read.string("INTERNAL_SECRET", DEV_SECRET + "-internal");
  if (appEnv === "production") {
    if (jwtSecret === DEV_SECRET && !read.optional("JWKS_URL")) read.problems.push("JWT_SECRET or JWKS_URL must be set in production");
    if (internalSecret.startsWith(DEV_SECRET)) read.problems.push("INTERNAL_SECRET must be set in production");
  }
  const brokers = read.optional("KAFKA_BROKERS");

  const config: Config = {
    env: appEnv,
    logLevel: read.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error", "silent"] as const, appEnv === "test" ? "silent" : "info"),
    host,
    gateway: {
      port: read.int("GATEWAY_PORT", 4000, { max: 65535 }),
      subgraphUrls,
      rateLimitPerMinute: read.int("RATE_LIMIT_PER_MINUTE", 600, { min: 1 }),
      trustProxy: read.bool("TRUST_PROXY", false),
      supergraphPath: read.string("SUPERGRAPH_PATH", "schema/supergraph.graphql"),
    },
    subgraphPorts,
    auth: {
      jwtSecret,
      jwksUrl: read.optional("JWKS_URL"),
      jwtIssuer: read.string("JWT_ISSUER", "storefront"),
      internalSecret,
    },
    relational: {
      databaseUrl: read.optional("DATABASE_URL"),
      embeddedDir: read.string("EMBEDDED_DATA_DIR", ".data") + "/postgres",
      embeddedPort: read.int("EMBEDDED_PG_PORT", 54329, { min: 1, max: 65535 }),
    },
    documents: { mongoUrl: read.optional("MONGO_URL") },
    search: {
      openSearchUrl: read.optional("OPENSEARCH_URL"),
      elasticsearchUrl: read.optional("ELASTICSEARCH_URL"),
      indexName: read.string("SEARCH_INDEX", "products"),
    },
    events: {
      kafkaBrokers: brokers ? brokers.split(",").map((b) => b.trim()) : undefined,
      clientId: read.string("KAFKA_CLIENT_ID", "storefront"),
    },
    cache: { redisUrl: read.optional("REDIS_URL") },
    accounts: { mysqlUrl: read.optional("MYSQL_URL") },
    inventory: {
      reservationTtlMs: read.int("RESERVATION_TTL_MS", 15 * 60_000, { min: 1000 }),
      maxQuantityPerOrder: read.int("MAX_QUANTITY_PER_ORDER", 10, { min: 1 }),
    },
    catalog: { seedProducts: read.int("SEED_PRODUCTS", 600, { min: 0 }) },
  };
  if (read.problems.length) throw new ConfigError("Invalid configuration:\n- " + read.problems.join("\n- "));
  return config;
}
