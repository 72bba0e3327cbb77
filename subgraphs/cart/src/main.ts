// Runs the cart subgraph as its own process (production layout).
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startCartSubgraph } from "./cart-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "cart" });
configureMetrics({ service: "cart", access: metricsAccessFor(config) });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const cart = await startCartSubgraph(platform);
runUntilSignal(logger, [cart.close, platform.close]);
