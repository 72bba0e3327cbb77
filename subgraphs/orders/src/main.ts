// Runs the orders subgraph as its own process (production layout), with its own outbox relay.
import { openPlatform, runService } from "#kernel";
import { startOrdersSubgraph } from "./orders-subgraph.js";

await runService("orders", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  const orders = await startOrdersSubgraph(platform);
  return [orders.close, platform.close];
});
