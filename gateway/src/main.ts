// Runs the gateway as its own process (production layout): subgraphs at their *_URL, live
// order events from Kafka, rate-limit budgets shared through Redis.
import { openPlatform, runService } from "#kernel";
import type { RedisKeyValueStore } from "#kernel/adapters.ts";
import { startGateway } from "./gateway-server.js";
import { superviseGatewayWorkers } from "./performance/gateway-cluster.js";

await runService("gateway", async ({ config, logger }) => {
  // GATEWAY_WORKERS > 1: this process only supervises that many gateway workers on the port.
  if (superviseGatewayWorkers(config.gateway.performance.workers, logger)) return;
  const platform = await openPlatform(config, logger, { needsDatabase: false });
  // Rate-limit budgets share the platform's Redis connection, so every instance sees them.
  const redis = platform.kv.engine === "redis" ? (platform.kv as RedisKeyValueStore).client : undefined;
  // An embedded bus lives in this process alone: catalog changes would never reach the response
  // cache, which must then not serve at all.
  const hearsCatalogChanges = platform.bus.engine !== "embedded";
  if (!hearsCatalogChanges && config.gateway.performance.responseCacheTtlSeconds > 0) logger.warn("response cache off: a gateway on its own needs KAFKA_BROKERS to hear catalog changes");
  const gatewayConfig = hearsCatalogChanges ? config : { ...config, gateway: { ...config.gateway, performance: { ...config.gateway.performance, responseCacheTtlSeconds: 0 } } };
  const gateway = await startGateway({ config: gatewayConfig, logger, bus: platform.bus, redis, kv: platform.kv });
  return [gateway.close, platform.close];
});
