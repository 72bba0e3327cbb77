// Runs the search subgraph as its own process (production layout).
import { openPlatform, runService } from "#kernel";
import { startSearchSubgraph } from "./search-subgraph.js";

await runService("search", async ({ config, logger }) => {
  const platform = await openPlatform(config, logger, { allowEmbeddedDatabase: false });
  const search = await startSearchSubgraph(platform);
  return [search.close, platform.close];
});
