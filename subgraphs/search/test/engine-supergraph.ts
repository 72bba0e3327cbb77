import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { createLogger, issueAccessToken, loadConfig, type Config, type Identity } from "#kernel";
import { startSupergraph, type RunningSupergraph } from "../../../platform/start-supergraph.js";
import { createTestDatabase } from "../../../test/support/test-database.js";
import { postGraphQL } from "../../../test/support/graphql-client.js";
import { namespacedBus } from "../../products/test/namespaced-bus.js";

export type EngineMode = "embedded" | "real";

/** What the real mode needs, all at once: documents, search, events and cache engines. */
export const REAL_ENGINE_VARIABLES = ["MONGO_URL", "OPENSEARCH_URL", "KAFKA_BROKERS", "REDIS_URL"] as const;

export interface EngineSupergraph extends RunningSupergraph {
  config: Config;
  mode: EngineMode;
  token(userId: string, roles?: Identity["roles"]): Promise<string>;
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): ReturnType<typeof postGraphQL<T>>;
}

/**
 * The whole supergraph with the catalog and search on embedded engines, or on the real
 * MongoDB/FerretDB, OpenSearch, Kafka and Redis named by the environment. A real run gets a
 * database, an index alias and Kafka topic and group names of its own, removed on close.
 */
export async function startEngineSupergraph(mode: EngineMode, env: Record<string, string> = {}): Promise<EngineSupergraph> {
  const run = randomUUID().replaceAll("-", "").slice(0, 10);
  const engines: Record<string, string> = {};
  if (mode === "real") {
    for (const name of REAL_ENGINE_VARIABLES) {
      const value = process.env[name];
      if (!value) throw new Error(`${name} must be set for the real-engine run (${REAL_ENGINE_VARIABLES.join(", ")})`);
      engines[name] = value;
    }
    const mongo = new URL(engines.MONGO_URL!);
    mongo.pathname = `/e2e_${run}`;
    engines.MONGO_URL = mongo.toString();
    engines.SEARCH_INDEX = `e2e_${run}`;
  }
  const database = await createTestDatabase("embedded");
  const config = loadConfig({ APP_ENV: "test", DATABASE_URL: database.url, SEED_PRODUCTS: "40", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", ...engines, ...env });
  const logger = createLogger(config.logLevel, { service: "test" });
  let supergraph: RunningSupergraph;
  try {
    supergraph = await startSupergraph({ config, logger, ephemeralPorts: true, decorateBus: mode === "real" ? namespacedBus(`e2e-${run}`) : undefined });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer };
  return {
    ...supergraph,
    config,
    mode,
    token: (userId, roles = ["customer"]) => issueAccessToken(auth, { userId, roles }),
    query: (query, variables, token) => postGraphQL(supergraph.gatewayUrl, query, variables, { token }),
    async close() {
      await supergraph.close();
      await database.drop();
      if (mode === "real") {
        const client = await MongoClient.connect(config.documents.mongoUrl!);
        await client.db().dropDatabase().catch(() => undefined);
        await client.close();
        await fetch(`${config.search.openSearchUrl!.replace(/\/$/, "")}/${config.search.indexName}_*`, { method: "DELETE" }).catch(() => undefined);
      }
    },
  };
}
