// Rebuilds the search index from the catalog with zero downtime (a new index, then an alias
// switch), with a progress bar; also the recovery after losing the search engine.
// `npx tsx scripts/catalog/reindex.ts --help`.
import { createLogger, createSubgraphClient, loadConfig } from "#kernel";
import { connectSearchIndex } from "../../subgraphs/search/src/adapters/connect-search-index.js";
import { productsSubgraphCatalog } from "../../subgraphs/search/src/adapters/products-subgraph-catalog.js";
import { reindexCatalog } from "../../subgraphs/search/src/domain/reindex.js";
import type { CatalogSource } from "../../subgraphs/search/src/ports/catalog-source.js";
import { openProductStore } from "../../subgraphs/products/src/adapters/open-product-store.js";
import { parseArguments } from "./cli-arguments.js";
import { createProgressBar } from "./progress-bar.js";
import { storeCatalog } from "./store-catalog.js";

const USAGE = `Usage: npx tsx scripts/catalog/reindex.ts [options]

Builds a new index under the SEARCH_INDEX alias from the whole catalog while searches keep
answering from the current one, then switches the alias atomically. The search engine is
ELASTICSEARCH_URL or OPENSEARCH_URL.

  --from-store   read the product store (MONGO_URL) directly instead of the products
                 subgraph (PRODUCTS_URL); for when the products service is down
  --batch B      documents per bulk request (default 1000)
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const config = loadConfig();
const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, { service: "catalog-reindex" });
if (!config.search.openSearchUrl && !config.search.elasticsearchUrl) args.fail("Set OPENSEARCH_URL or ELASTICSEARCH_URL: the embedded index lives only inside a running process");

let catalog: CatalogSource;
let total: number;
if (args.flag("from-store")) {
  if (!config.documents.mongoUrl) args.fail("--from-store needs MONGO_URL");
  const store = await openProductStore(config);
  total = await store.count({});
  catalog = storeCatalog(store);
} else {
  const url = config.gateway.subgraphUrls.products;
  const client = createSubgraphClient({ url, internalSecret: config.auth.internalSecret, serviceName: "search" });
  total = (await client.request<{ products: { totalCount: number } }>(`{ products(first: 1) { totalCount } }`)).products.totalCount;
  await client.close();
  catalog = productsSubgraphCatalog({ url, internalSecret: config.auth.internalSecret });
}

const index = await connectSearchIndex(config, logger);
try {
  const progress = createProgressBar(`indexing into ${index.engine}`, total);
  const { indexed } = await reindexCatalog({ index, catalog, logger, batchSize: Math.max(1, args.int("batch", 1_000)), onProgress: (n) => progress.update(n) });
  const { seconds, perSecond } = progress.finish(indexed);
  process.stdout.write(`${indexed} products indexed in ${seconds.toFixed(1)} s (${Math.round(perSecond)} documents/s); alias ${config.search.indexName} switched\n`);
} catch (error) {
  logger.error("reindex failed; the current index is unchanged", { error: String(error) });
  process.exitCode = 1;
} finally {
  await index.close();
  await catalog.close();
}
