// Runs the inventory subgraph as its own process (production layout).
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startInventorySubgraph } from "./inventory-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "inventory" });
configureMetrics({ service: "inventory", access: metricsAccessFor(config) });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const inventory = await startInventorySubgraph(platform);
runUntilSignal(logger, [inventory.close, platform.close]);
