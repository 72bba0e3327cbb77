// One command, no servers to install: the gateway and every subgraph in this process, on
// embedded infrastructure unless engine URLs are configured. `npm start`.
import { createLogger, loadConfig, runUntilSignal } from "#kernel";
import { startSupergraph } from "../platform/start-supergraph.js";
import { findPortInUse, portInUseMessage, portsToListenOn } from "../platform/ports-in-use.js";

const startedAt = performance.now();
const config = loadConfig();
const taken = await findPortInUse(portsToListenOn(config), config.host);
if (taken) {
  process.stderr.write(portInUseMessage(taken, config.host) + "\n");
  process.exit(1);
}
const logger = createLogger(config.logLevel, { service: "storefront" });
const supergraph = await startSupergraph({ config, logger });
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
process.stdout.write(await supergraph.banner(seconds));
runUntilSignal(logger, [supergraph.close]);
