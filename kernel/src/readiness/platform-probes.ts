import type { Config } from "../config/config.js";
import type { KeyValueStore } from "../cache/key-value-store.js";
import type { EngineProbe } from "./engine-readiness.js";
import { httpProbe, mongoProbe, mysqlProbe, postgresProbe } from "./engine-probes.js";

/** The engines a subgraph may depend on, by role. */
export type EngineRole = "relational" | "cache" | "documents" | "search" | "users";

/**
 * One probe per real engine this process is configured with (an embedded adapter lives in the
 * process and needs none), made once and shared by every subgraph of the process.
 */
export function platformProbes(config: Config, databaseUrl: string | undefined, kv: KeyValueStore): Partial<Record<EngineRole, EngineProbe>> {
  const searchUrl = config.search.openSearchUrl ?? config.search.elasticsearchUrl;
  return {
    ...(databaseUrl && { relational: postgresProbe(databaseUrl) }),
    ...(kv.engine === "redis" && { cache: () => kv.ping() }),
    ...(config.documents.mongoUrl && { documents: mongoProbe(config.documents.mongoUrl) }),
    ...(searchUrl && { search: httpProbe(searchUrl) }),
    ...(config.accounts.mysqlUrl && { users: mysqlProbe(config.accounts.mysqlUrl) }),
  };
}
