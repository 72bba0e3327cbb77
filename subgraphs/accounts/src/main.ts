// Runs the accounts subgraph as its own process (production layout).
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startAccountsSubgraph } from "./accounts-subgraph.js";
import { seedDevAdmin } from "./seed-dev-admin.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "accounts" });
configureMetrics({ service: "accounts", access: metricsAccessFor(config) });
// Users live in MySQL (MYSQL_URL) or the embedded store; from the platform this process uses
// the key-value store (shared login and mail throttle counters with REDIS_URL) and the event
// bus (account mail for the notification service, over Kafka with KAFKA_BROKERS).
const platform = await openPlatform(config, logger);
const accounts = await startAccountsSubgraph(platform);
await seedDevAdmin({ config, accounts: accounts.accounts, logger });
runUntilSignal(logger, [accounts.close, platform.close]);
