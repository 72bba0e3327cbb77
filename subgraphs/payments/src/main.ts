// Runs the payments subgraph as its own process (production layout): PAYMENT_PROVIDER_URL
// names the provider, e.g. the simulator started with services/payment-simulator/src/main.ts.
import { configureMetrics, createLogger, loadConfig, metricsAccessFor, openPlatform, runUntilSignal } from "#kernel";
import { startPaymentsSubgraph } from "./payments-subgraph.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "payments" });
configureMetrics({ service: "payments", access: metricsAccessFor(config) });
const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
const payments = await startPaymentsSubgraph(platform);
runUntilSignal(logger, [payments.close, platform.close]);
