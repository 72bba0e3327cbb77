// Runs the payments subgraph as its own process (production layout): PAYMENT_PROVIDER_URL
// names the provider, e.g. the simulator started with services/payment-simulator/src/main.ts.
import { openPlatform, runService } from "#kernel";
import { startPaymentsSubgraph } from "./payments-subgraph.js";

await runService("payments", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  const payments = await startPaymentsSubgraph(platform);
  return [payments.close, platform.close];
});
