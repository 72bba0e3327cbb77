import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import type { EventBus } from "../events/event-bus.js";
import type { KeyValueStore } from "../cache/key-value-store.js";

/**
 * The infrastructure one process shares among the subgraphs it runs: each role is the real
 * engine when its URL is configured and the embedded adapter otherwise.
 */
export interface Platform {
  config: Config;
  logger: Logger;
  /** Connection URL of the relational database (PostgreSQL, embedded or real). */
  databaseUrl: string;
  bus: EventBus;
  kv: KeyValueStore;
  /** Which engine serves each role, for logs and the start banner. */
  engines: Record<"relational" | "events" | "cache", string>;
  close(): Promise<void>;
}
