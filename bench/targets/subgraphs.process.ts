// The subgraphs under load, in a process of their own: every subgraph of the one-process
// platform on free ports. The gateway that platform also starts here is the benchmark's
// REFERENCE (response cache off, APP_ENV=test): scenarios read their expected answers and
// set up their data through it, never through a gateway under test.
import { createLogger, loadConfig } from "#kernel";
import { startSupergraph } from "../../platform/start-supergraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "bench-subgraphs" });
// BENCH_FIXED_PORTS: the harness chose the ports (BENCH_PORT_RANGE) and passed them in.
const supergraph = await startSupergraph({ config, logger, ephemeralPorts: !process.env.BENCH_FIXED_PORTS });
process.stdout.write(`BENCH_READY ${JSON.stringify({ referenceUrl: supergraph.gatewayUrl, subgraphUrls: supergraph.subgraphUrls })}\n`);
const stop = () => void supergraph.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
