// Runs the products subgraph as its own process (production layout).
import { openPlatform, runService } from "#kernel";
import { startProductsSubgraph } from "./products-subgraph.js";

await runService("products", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { needsDatabase: false });
  const products = await startProductsSubgraph(platform);
  return [products.close, platform.close];
});
