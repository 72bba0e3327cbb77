// One command, no servers to install: the gateway and every subgraph in this process, on
// embedded infrastructure unless engine URLs are configured. `npm start`.
//
// Only the configuration and the port check are imported up front: a second `npm start` must
// answer at once even on a loaded machine, before the whole supergraph's module graph loads.
import { ConfigError, loadConfig, type Config } from "#kernel/config/config.ts";
import { stopOrphanedEmbeddedPostgres } from "../platform/orphaned-postgres.js";
import { unreadableFilesMessage } from "../platform/files-to-read.js";
import { findPortsInUse, heldEmbeddedDataDir, isAddressInUse, portInUseMessage, placementSettings, portsInUseMessage, portsToListenOn, samePortMessage, startFailureMessage } from "../platform/ports-in-use.js";

const startedAt = performance.now();
const config = configOrExit();
const unreadable = unreadableFilesMessage(config);
if (unreadable) {
  process.stderr.write(unreadable + "\n");
  process.exit(1);
}
// An embedded PostgreSQL an earlier start left behind (kill -9, the OOM killer) holds the
// port and the data directory of this one: stopped first, so a start after a crash just works.
const orphan = await stopOrphanedEmbeddedPostgres(config).catch((error: unknown) => {
  process.stderr.write(startFailureMessage(error) + "\n");
  process.exit(1);
});
if (orphan) process.stderr.write(`Stopped the embedded PostgreSQL (pid ${orphan}) that an earlier npm start left running on ${config.relational.embeddedDir}\n`);
const ports = portsToListenOn(config);
const samePort = samePortMessage(ports);
if (samePort) {
  process.stderr.write(samePort + "\n");
  process.exit(1);
}
const taken = await findPortsInUse(ports, config.host);
const heldDataDir = heldEmbeddedDataDir(config);
if (taken.length > 0 || heldDataDir) {
  process.stderr.write(portsInUseMessage(taken, config.host, heldDataDir, placementSettings(ports)) + "\n");
  process.exit(1);
}
const [{ createLogger, runUntilSignal }, { startSupergraph }] = await Promise.all([
  import("#kernel"),
  import("../platform/start-supergraph.js"),
]);
const logger = createLogger(config.logLevel, { service: "storefront" });
const supergraph = await startSupergraph({ config, logger }).catch((error: unknown) => {
  // Another start can take a port between the check above and its bind: the same one line.
  logger.debug("start failed", { stack: error instanceof Error ? error.stack : String(error) });
  const lost = isAddressInUse(error) ? ports.find(({ port }) => port === (error as { port?: number }).port) : undefined;
  const databases = { DATABASE_URL: config.relational.databaseUrl, MYSQL_URL: config.accounts.mysqlUrl };
  process.stderr.write((lost ? portInUseMessage(lost, config.host, placementSettings(ports)) : startFailureMessage(error, databases)) + "\n");
  process.exit(1);
});
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
process.stdout.write(await supergraph.banner(seconds));
runUntilSignal(logger, [supergraph.close]);

/**
 * The configuration, or the list of its problems on stderr and exit 1: a mistyped variable is
 * the user's to fix, not a crash whose stack trace buries the list.
 */
function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n(see the configuration table in README.md)\n`);
    process.exit(1);
  }
}
