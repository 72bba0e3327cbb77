// Runs the search subgraph as its own process (production layout).
import { createLogger, loadConfig, openPlatform, runUntilSignal } from "#kernel";
import { startSearchSubgraph } from "./search-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "search" });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const search = await startSearchSubgraph(platform);
runUntilSignal(logger, [search.close, platform.close]);
