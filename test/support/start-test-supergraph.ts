import { createLogger, loadConfig, type EventBus, type Identity } from "#kernel";
import { startSupergraph, type RunningSupergraph } from "../../platform/start-supergraph.js";
import { issueAccessToken } from "../../gateway/src/auth/access-token-verifier.js";
import { createTestDatabase, type DatabaseEngine } from "./test-database.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operationId } from "../../gateway/src/security/persisted-operations.js";
import { postGraphQL } from "./graphql-client.js";

export interface TestSupergraph extends RunningSupergraph {
  /** An access token the gateway accepts, for any user and roles (an hour unless told). */
  token(userId: string, roles?: Identity["roles"], ttlSeconds?: number): Promise<string>;
  /** Runs an operation through the gateway as the given token's user. */
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): ReturnType<typeof postGraphQL<T>>;
}

/**
 * The whole supergraph in this process on free ports, on a fresh cloned database, with a
 * small demo catalog: what end-to-end tests drive over real HTTP and WebSockets.
 */
export async function startTestSupergraph(
  options: { env?: Record<string, string>; database?: DatabaseEngine; /** Wraps (or just sees) the process's event bus. */ decorateBus?: (bus: EventBus) => EventBus } = {},
): Promise<TestSupergraph> {
  const database = await createTestDatabase(options.database ?? "embedded");
  const config = loadConfig({ APP_ENV: "test", DATABASE_URL: database.url, SEED_PRODUCTS: "40", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", ...options.env });
  const logger = createLogger(config.logLevel, { service: "test" });
  let supergraph: RunningSupergraph;
  try {
    supergraph = await startSupergraph({ config, logger, ephemeralPorts: true, decorateBus: options.decorateBus });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer, audience: config.auth.jwtAudience };
  return {
    ...supergraph,
    token: (userId, roles = ["customer"], ttlSeconds) => issueAccessToken(auth, { userId, roles }, ttlSeconds),
    query: (query, variables, token) => postGraphQL(supergraph.gatewayUrl, query, variables, { token }),
    async close() {
      await supergraph.close();
      await database.drop();
    },
  };
}

/**
 * The supergraph as production runs it for clients built with persisted operations:
 * APP_ENV=production with its own secrets, and only the given operations accepted.
 */
export async function startPersistedOnlySupergraph(operations: readonly string[]): Promise<TestSupergraph> {
  const manifest = join(mkdtempSync(join(tmpdir(), "persisted-")), "operations.json");
  writeFileSync(manifest, JSON.stringify(Object.fromEntries(operations.map((query) => [operationId(query), query]))));
  return startTestSupergraph({
    env: {
      APP_ENV: "production",
      JWT_SECRET: "production-test-secret-0123456789abcdef",
      JWT_AUDIENCE: "storefront-persisted-test",
      INTERNAL_SECRET: "production-test-internal-0123456789abcdef",
      PERSISTED_OPERATIONS_PATH: manifest,
      PERSISTED_OPERATIONS_ONLY: "true",
    },
  });
}
