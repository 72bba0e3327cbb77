// Runs the accounts subgraph as its own process (production layout).
import { openPlatform, runService } from "#kernel";
import { startAccountsSubgraph } from "./accounts-subgraph.js";
import { seedDevAdmin, seedDevCustomer } from "./seed-dev-admin.js";

await runService("accounts", async ({ config, logger }) => {
  // Users live in MySQL (MYSQL_URL) or the embedded store; from the platform this process uses
  // the key-value store (shared login and mail throttle counters with REDIS_URL) and the event
  // bus (account mail for the notification service, over Kafka with KAFKA_BROKERS).
  const platform = await openPlatform(config, logger);
  const accounts = await startAccountsSubgraph(platform);
  await seedDevAdmin({ config, accounts: accounts.accounts, logger });
  await seedDevCustomer({ config, accounts: accounts.accounts, logger });
  return [accounts.close, platform.close];
});
