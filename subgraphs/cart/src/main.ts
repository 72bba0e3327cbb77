// Runs the cart subgraph as its own process (production layout).
import { openPlatform, runService } from "#kernel";
import { startCartSubgraph } from "./cart-subgraph.js";

await runService("cart", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  const cart = await startCartSubgraph(platform);
  return [cart.close, platform.close];
});
