// Runs the gateway as its own process (production layout): subgraphs at their *_URL, live
// order events from Kafka, rate-limit budgets shared through Redis.
import { createLogger, loadConfig, openPlatform, runUntilSignal } from "#kernel";
import type { RedisKeyValueStore } from "#kernel/adapters.ts";
import { startGateway } from "./gateway-server.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "gateway" });
const platform = await openPlatform(config, logger, { needsDatabase: false });
// Rate-limit budgets share the platform's Redis connection, so every instance sees them.
const redis = platform.kv.engine === "redis" ? (platform.kv as RedisKeyValueStore).client : undefined;
const gateway = await startGateway({ config, logger, bus: platform.bus, redis });
runUntilSignal(logger, [gateway.close, platform.close]);
