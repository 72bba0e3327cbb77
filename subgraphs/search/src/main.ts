// Runs the search subgraph as its own process (production layout).
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startSearchSubgraph } from "./search-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "search" });
configureMetrics({ service: "search", access: metricsAccessFor(config) });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const search = await startSearchSubgraph(platform);
runUntilSignal(logger, [search.close, platform.close]);
