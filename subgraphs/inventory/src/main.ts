// Runs the inventory subgraph as its own process (production layout).
import { openPlatform, runService } from "#kernel";
import { startInventorySubgraph } from "./inventory-subgraph.js";

await runService("inventory", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  const inventory = await startInventorySubgraph(platform);
  return [inventory.close, platform.close];
});
