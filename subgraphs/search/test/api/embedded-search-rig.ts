import { createLogger, createSubgraphClient, loadConfig, openPlatform, type SubgraphClient } from "#kernel";
import { EmbeddedSearchIndex } from "../../src/adapters/embedded-search-index.js";
import { startSearchSubgraph, type RunningSearch } from "../../src/search-subgraph.js";
import type { CatalogSource } from "../../src/ports/catalog-source.js";
import type { SearchDocument } from "../../src/ports/search-index.js";

export interface EmbeddedSearchRig {
  search: RunningSearch;
  client: SubgraphClient;
  close(): Promise<void>;
}

/** The search subgraph over an embedded index filled from `documents`, and a client signed as the gateway. */
export async function startEmbeddedSearch(documents: SearchDocument[], env: Record<string, string> = {}): Promise<EmbeddedSearchRig> {
  // APP_ENV=test and nothing else: the embedded bus and key-value store, and no database.
  const config = loadConfig({ APP_ENV: "test", ...env });
  const platform = await openPlatform(config, createLogger("silent"), { needsDatabase: false });
  const catalog: CatalogSource = {
    async *scan() {
      yield documents;
    },
    close: async () => {},
  };
  const search = await startSearchSubgraph(platform, { port: 0, index: new EmbeddedSearchIndex(), catalog });
  const client = createSubgraphClient({ url: search.url, audience: "search", internalSecret: config.auth.internalSecret, serviceName: "gateway-test" });
  return {
    search,
    client,
    async close() {
      await client.close();
      await search.close();
      await platform.close();
    },
  };
}
