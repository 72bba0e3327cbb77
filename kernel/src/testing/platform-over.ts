import type { Config } from "../config/config.js";
import type { EventBus } from "../events/event-bus.js";
import type { KeyValueStore } from "../cache/key-value-store.js";
import { createLogger, type Logger } from "../logging/logger.js";
import type { Platform } from "../runtime/platform.js";

/**
 * A Platform over engines a test chose itself (a clocked key-value store, a namespaced Kafka
 * bus, fast retries), where `openPlatform` would pick them from the configuration. Without a
 * `database` the URL is a placeholder that a subgraph needing none never connects to.
 * `closesEngines`: whether closing the platform closes the bus and the store, or the test does.
 */
export function platformOver(parts: {
  config: Config;
  bus: EventBus;
  kv: KeyValueStore;
  logger?: Logger;
  database?: { url: string; engine: string };
  closesEngines?: boolean;
}): Platform {
  const { config, bus, kv } = parts;
  return {
    config,
    logger: parts.logger ?? createLogger("silent"),
    databaseUrl: parts.database?.url ?? "postgresql://unused",
    bus,
    kv,
    engines: { relational: parts.database?.engine ?? "none", events: bus.engine, cache: kv.engine },
    close: async () => {
      if (!parts.closesEngines) return;
      await bus.close();
      await kv.close();
    },
  };
}
