// `npm run start:fleet`: every subgraph, the gateway and the services as separate processes,
// with replicas, on the real engines, supervised (a process that dies is started again).
import { ConfigError, createLogger, httpOrigin, loadConfig } from "#kernel";
import { unreadableFilesMessage } from "../../platform/files-to-read.js";
import { findPortInUse } from "../../platform/ports-in-use.js";
import { missingEngines, planFleet, readFleetOptions } from "../../platform/fleet/fleet-plan.js";
import { startFleet } from "../../platform/fleet/start-fleet.js";

const startedAt = performance.now();
const read = readFleetOptions(process.argv.slice(2), process.env);
if ("problems" in read) {
  process.stderr.write(`start:fleet: ${read.problems.join("; ")}\n`);
  process.exit(2);
}
const { options } = read;
// Each process of an embedded engine would keep its own data: replicas would disagree.
const missing = missingEngines(options, process.env);
if (missing.length > 0) {
  process.stderr.write(`start:fleet needs the real engines, and ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set: run eval "$(scripts/services.sh env)" first (npm start runs everything in one process without them)\n`);
  process.exit(2);
}
const plan = planFleet(options);
const env = { APP_ENV: "development", ...process.env };
// What a gateway of the fleet will read, checked before any process starts: a mistyped
// SUPERGRAPH_PATH otherwise started every subgraph and then left the gateways restarting.
const checked = plan.processes.find((spec) => spec.kind === "gateway") ?? plan.processes[0];
if (checked) {
  const refusal = configurationRefusal({ ...env, ...checked.env });
  if (refusal) {
    process.stderr.write(`start:fleet: ${refusal}\n`);
    process.exit(2);
  }
}
const taken = await findPortInUse(
  plan.processes.map((spec) => ({ port: spec.port, variable: "FLEET_BASE_PORT" })),
  options.host,
);
if (taken) {
  process.stderr.write(`start:fleet: port ${taken.port} on ${options.host} is already in use; stop what holds it or move the range, for example --base-port ${options.basePort + 100}\n`);
  process.exit(2);
}

const logDir = process.env.FLEET_LOG_DIR ?? ".data/fleet-logs";
const logger = createLogger("info", { service: "fleet" });
const fleet = await startFleet({ options, env, logDir, logger });
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
const rows = fleet.plan.processes.map((spec) => `  ${spec.name.padEnd(20)} ${httpOrigin(options.host, spec.port)}   pid ${fleet.supervisor.processes.get(spec.name)!.pid()}`);
const ports = fleet.plan.processes.map((spec) => spec.port);
process.stdout.write(
  [
    `\nStorefront fleet ready in ${seconds}s: ${fleet.plan.processes.length} processes on ports ${Math.min(...ports)}-${Math.max(...ports)}`,
    ...fleet.plan.gatewayUrls.map((url, i) => `  Gateway ${i + 1}    ${url}  (storefront ${url.replace(/\/graphql$/, "/shop")})`),
    ...rows,
    `  Logs         ${logDir}/<process>.log; a process that dies is restarted (with backoff) and the restart logged here`,
    `  Ctrl-C stops every process\n\n`,
  ].join("\n"),
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info("stopping the fleet", { signal });
  await fleet.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

/** Why the fleet's processes would refuse this configuration (the same list npm start prints), or undefined. */
function configurationRefusal(processEnv: Record<string, string | undefined>): string | undefined {
  try {
    return unreadableFilesMessage(loadConfig(processEnv));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return `${error.message}\n(see the configuration table in README.md)`;
  }
}
