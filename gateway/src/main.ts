// Runs the gateway as its own process (production layout): GATEWAY_WORKERS node:cluster
// workers share the port, so one gateway host uses every core it has.
import cluster from "node:cluster";
import { createLogger, EmbeddedEventBus, loadConfig, runUntilSignal, type Config, type EventBus } from "#kernel";
import { startGateway } from "./gateway-server.js";

const config = loadConfig();
const { workers } = config.gateway.performance;

if (cluster.isPrimary && workers > 1) {
  const logger = createLogger(config.logLevel, { service: "gateway", role: "primary" });
  let stopping = false;
  const fork = () => cluster.fork().on("exit", (code, signal) => {
    if (stopping) return;
    // A crashed worker is replaced; its connections were lost, the port never closed.
    logger.error("gateway worker exited; starting another", { code, signal });
    fork();
  });
  for (let i = 0; i < workers; i++) fork();
  runUntilSignal(logger, [
    async () => {
      stopping = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(
          (worker) => new Promise<void>((resolve) => (worker!.isDead() ? resolve() : (worker!.once("exit", () => resolve()), worker!.process.kill("SIGTERM")))),
        ),
      );
    },
  ]);
} else {
  const logger = createLogger(config.logLevel, { service: "gateway", worker: cluster.worker?.id ?? 0 });
  const bus = await openBus(config, logger);
  let gatewayConfig = config;
  if (bus.engine === "embedded" && config.gateway.performance.responseCacheTtlSeconds > 0) {
    // An embedded bus lives in this process only: the catalog's change events never reach it,
    // and a cache that cannot hear of changes must not serve.
    logger.warn("response cache off: a gateway in its own process needs KAFKA_BROKERS to hear catalog changes");
    gatewayConfig = { ...config, gateway: { ...config.gateway, performance: { ...config.gateway.performance, responseCacheTtlSeconds: 0 } } };
  }
  const redis = config.cache.redisUrl ? new (await import("#kernel/adapters.ts")).RedisKeyValueStore(config.cache.redisUrl, { logger }) : undefined;
  const gateway = await startGateway({ config: gatewayConfig, logger, bus, redis: redis?.client });
  runUntilSignal(logger, [gateway.close, () => bus.close(), async () => void (await redis?.close())]);
}

async function openBus(config: Config, logger: ReturnType<typeof createLogger>): Promise<EventBus> {
  if (!config.events.kafkaBrokers) return new EmbeddedEventBus();
  const { KafkaEventBus } = await import("#kernel/adapters.ts");
  return new KafkaEventBus({ brokers: config.events.kafkaBrokers, clientId: `${config.events.clientId}-gateway`, logger });
}
