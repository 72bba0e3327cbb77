import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import type { EventBus } from "../events/event-bus.js";
import type { KeyValueStore } from "../cache/key-value-store.js";
import type { EngineProbe } from "../readiness/engine-readiness.js";
import type { EngineRole } from "../readiness/platform-probes.js";
import type { ShutdownDelay } from "../readiness/shutdown-delay.js";

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
  /**
   * What the subgraphs' /readyz ask: a probe per real engine, and the process's stop (one
   * SUBGRAPH_SHUTDOWN_DELAY_MS for all its subgraphs). Absent on platforms tests assemble by
   * hand, whose subgraphs are then ready until they stop.
   */
  readiness?: { shutdown: ShutdownDelay; probes: Partial<Record<EngineRole, EngineProbe>> };
  close(): Promise<void>;
}
