import type { Config } from "#kernel";

/** Which engine serves each of the six roles in this process, as the adapters report it. */
export interface EnginesInUse {
  /** `postgresql`, `embedded-postgres` or `none` (the platform's relational role). */
  relational: string;
  /** The product store's engine: `mongodb` or `embedded`. */
  documents: string;
  /** The search index's engine: `opensearch`, `elasticsearch` or `embedded`. */
  search: string;
  /** The event bus's engine: `kafka` or `embedded`. */
  events: string;
  /** The key-value store's engine: `redis` or `embedded`. */
  cache: string;
  /** The user store's engine: `mysql` or `embedded`. */
  accounts: string;
}

/**
 * One line per role for the start banner: the engine, embedded or real, and where it is
 * (host, port and database of a real one, never its credentials; the folder or file of an
 * embedded one that keeps data). An operator sees at a glance which half of a deployment
 * runs on what.
 */
export function describeEngines(config: Config, engines: EnginesInUse, databaseUrl?: string): string[] {
  const lines: [string, string][] = [
    ["relational", relational(config, engines.relational, databaseUrl)],
    ["documents", engines.documents === "mongodb" ? `MongoDB wire protocol at ${address(config.documents.mongoUrl)}` : embedded("in-memory product store", config.documents.embeddedDir)],
    ["search", search(config, engines.search)],
    ["events", engines.events === "kafka" ? `Kafka at ${config.events.kafkaBrokers?.join(",")}${config.events.topicPrefix ? ` (topic prefix "${config.events.topicPrefix}")` : ""}` : embedded("in-process event log", config.events.embeddedDir)],
    ["cache", engines.cache === "redis" ? `Redis at ${address(config.cache.redisUrl)}` : "embedded (in-process key-value store)"],
    ["accounts", engines.accounts === "mysql" ? `MySQL/MariaDB at ${address(config.accounts.mysqlUrl)}` : config.accounts.embeddedFile ? `embedded (file ${config.accounts.embeddedFile})` : "embedded (in memory)"],
  ];
  return lines.map(([role, text]) => `${role.padEnd(11)} ${text}`);
}

/**
 * An embedded engine, and the folder its journal keeps it in across restarts when it has one
 * (development, or a named EMBEDDED_DATA_DIR): "in-memory" alone read as lost at the next start.
 * The events journal is the one-process start's, the only caller of this summary.
 */
function embedded(what: string, journalDir: string | undefined): string {
  return journalDir ? `embedded (${what}, journaled to ${journalDir})` : `embedded (${what})`;
}

function relational(config: Config, engine: string, databaseUrl: string | undefined): string {
  if (engine === "embedded-postgres") return `embedded PostgreSQL at ${address(databaseUrl)} (data in ${config.relational.embeddedDir})`;
  if (engine === "postgresql") return `PostgreSQL at ${address(databaseUrl ?? config.relational.databaseUrl)}`;
  return engine;
}

function search(config: Config, engine: string): string {
  const index = ` (index ${config.search.indexName})`;
  if (engine === "opensearch") return `OpenSearch at ${address(config.search.openSearchUrl)}${index}`;
  if (engine === "elasticsearch") return `Elasticsearch at ${address(config.search.elasticsearchUrl)}${index}`;
  return "embedded (in-process search index)";
}

/** `host:port/path` of a connection URL, without user, password or query (which may hold secrets). */
export function address(url: string | undefined): string {
  if (!url) return "(unset)";
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}
