import { randomUUID } from "node:crypto";
import { describe } from "node:test";
import { createLogger, createSubgraphClient, issueAccessToken, loadConfig, type EventBus, type Identity } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, realEngineUrl } from "#kernel/testing";
import { startSupergraph, type RunningSupergraph } from "../../../../platform/start-supergraph.js";
import { createTestDatabase, type DatabaseEngine } from "../../../../test/support/test-database.js";
import { postGraphQL } from "../../../../test/support/graphql-client.js";
import { NamespacedEventBus } from "./test-event-buses.js";
import { createSubgraphStockReservations } from "../../src/adapters/subgraph-stock-reservations.js";
import type { StockReservations } from "../../src/ports/stock-reservations.js";

export interface CheckoutSupergraph extends RunningSupergraph {
  databaseUrl: string;
  token(userId: string, roles?: Identity["roles"]): Promise<string>;
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): ReturnType<typeof postGraphQL<T>>;
  /** The inventory's internal reservation API, called as the orders subgraph calls it. */
  reservations: StockReservations;
  /** Stops the processes but keeps the database (restart tests); `close` drops it too. */
  stop(): Promise<void>;
}

/** Which engines an end-to-end run uses: the embedded set, or real PostgreSQL, Redis and Kafka. */
export interface EngineSet {
  name: string;
  database: DatabaseEngine;
  env: Record<string, string>;
}

export const EMBEDDED_ENGINES: EngineSet = { name: "embedded", database: "embedded", env: {} };

const REAL_VARIABLES = ["DATABASE_URL", "REDIS_URL", "KAFKA_BROKERS"] as const;

/**
 * Registers `define` for the embedded engines, and for real PostgreSQL + Redis + Kafka when
 * their variables are set (in CI a missing one fails, as every real-engine suite does).
 */
export function describeOnEngines(suite: string, define: (engines: EngineSet) => void): void {
  describe(engineSuiteTitle(suite, EMBEDDED_ENGINES.name), () => define(EMBEDDED_ENGINES));
  const missing = REAL_VARIABLES.find((variable) => realEngineUrl(variable) === undefined);
  const engine = "postgresql+redis+kafka";
  if (missing) {
    describeWithRealEngine({ suite, engine, variable: missing }, () => {});
    return;
  }
  const env = { REDIS_URL: realEngineUrl("REDIS_URL")!, KAFKA_BROKERS: realEngineUrl("KAFKA_BROKERS")! };
  describe(engineSuiteTitle(suite, engine), () => define({ name: engine, database: "real", env }));
}

/**
 * The whole supergraph in this process on free ports, like `startTestSupergraph`, plus what
 * checkout tests need: a bus wrapper (outages), topics of their own on a shared broker, and
 * restarting on the same database.
 */
export async function startCheckoutSupergraph(
  options: { engines?: EngineSet; env?: Record<string, string>; decorateBus?: (bus: EventBus) => EventBus; databaseUrl?: string } = {},
): Promise<CheckoutSupergraph> {
  const engines = options.engines ?? EMBEDDED_ENGINES;
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => {} } : await createTestDatabase(engines.database);
  const config = loadConfig({
    APP_ENV: "test",
    DATABASE_URL: database.url,
    SEED_PRODUCTS: "40",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // Checkout tests fire bursts from few users; the gateway's budgets are tested elsewhere.
    RATE_LIMIT_PER_MINUTE: "100000",
    RATE_LIMIT_CHECKOUT_PER_MINUTE: "100000",
    ...engines.env,
    ...options.env,
  });
  const logger = createLogger(config.logLevel, { service: "test" });
  const namespace = `t${randomUUID().slice(0, 8)}`;
  const decorateBus = (bus: EventBus) => {
    const isolated = bus.engine === "kafka" ? new NamespacedEventBus(bus, namespace) : bus;
    return options.decorateBus ? options.decorateBus(isolated) : isolated;
  };
  let supergraph: RunningSupergraph;
  try {
    supergraph = await startSupergraph({ config, logger, ephemeralPorts: true, decorateBus });
  } catch (error) {
    if (!options.databaseUrl) await database.drop();
    throw error;
  }
  const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer };
  const inventory = createSubgraphClient({ url: supergraph.subgraphUrls.inventory!, audience: "inventory", internalSecret: config.auth.internalSecret, serviceName: "orders" });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= inventory.close().then(() => supergraph.close()));
  return {
    ...supergraph,
    databaseUrl: database.url,
    token: (userId, roles = ["customer"]) => issueAccessToken(auth, { userId, roles }),
    query: (query, variables, token) => postGraphQL(supergraph.gatewayUrl, query, variables, { token }),
    reservations: createSubgraphStockReservations(inventory),
    stop,
    async close() {
      await stop();
      await database.drop();
    },
  };
}
