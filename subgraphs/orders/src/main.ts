// Runs the orders subgraph as its own process (production layout), with its own outbox relay.
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startOrdersSubgraph } from "./orders-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "orders" });
configureMetrics({ service: "orders", access: metricsAccessFor(config) });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const orders = await startOrdersSubgraph(platform);
runUntilSignal(logger, [orders.close, platform.close]);
