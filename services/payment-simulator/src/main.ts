// Runs the payment gateway simulator as its own process, for a payments subgraph started
// with PAYMENT_PROVIDER_URL pointing at it (the one-process platform starts its own).
import { runService } from "#kernel";
import { startPaymentSimulator } from "./payment-simulator.js";

await runService(
  "payment-simulator",
  async ({ config, logger }) => {
    const simulator = await startPaymentSimulator({ ...config.payments.simulator, host: config.host, logger });
    process.stdout.write(`Payment simulator on ${simulator.url} (ledger: ${simulator.url}/ledger)\n`);
    return [simulator.close];
  },
  { metrics: false },
);
