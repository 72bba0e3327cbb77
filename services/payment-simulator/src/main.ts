// Runs the payment gateway simulator as its own process, for a payments subgraph started
// with PAYMENT_PROVIDER_URL pointing at it (the one-process platform starts its own).
import { createLogger, loadConfig, runUntilSignal } from "#kernel";
import { startPaymentSimulator } from "./payment-simulator.js";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "payment-simulator" });
const simulator = await startPaymentSimulator({ ...config.payments.simulator, host: config.host, logger });
process.stdout.write(`Payment simulator on ${simulator.url} (ledger: ${simulator.url}/ledger)\n`);
runUntilSignal(logger, [simulator.close]);
