// Runs the inventory subgraph as its own process (production layout).
import { createLogger, loadConfig, openPlatform, runUntilSignal } from "#kernel";
import { startInventorySubgraph } from "./inventory-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "inventory" });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const inventory = await startInventorySubgraph(platform);
runUntilSignal(logger, [inventory.close, platform.close]);
