// Runs the products subgraph as its own process (production layout).
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startProductsSubgraph } from "./products-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "products" });
configureMetrics({ service: "products", access: metricsAccessFor(config) });
const platform = await openPlatform(config, logger, { needsDatabase: false });
const products = await startProductsSubgraph(platform);
runUntilSignal(logger, [products.close, platform.close]);
