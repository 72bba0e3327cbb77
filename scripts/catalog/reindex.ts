// Rebuilds the search index from the catalog with zero downtime (a new index, then an alias
// switch), with a progress bar; also the recovery after losing the search engine.
// `npx tsx scripts/catalog/reindex.ts --help`.
import { createLogger, createSubgraphClient, loadConfig, type KeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { connectSearchIndex } from "../../subgraphs/search/src/adapters/connect-search-index.js";
import { productsSubgraphCatalog } from "../../subgraphs/search/src/adapters/products-subgraph-catalog.js";
import { reindexCatalog } from "../../subgraphs/search/src/domain/reindex.js";
import { rebuildClaimKey, withRebuildClaim } from "../../subgraphs/search/src/domain/rebuild-claim.js";
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
  --wait         when another rebuild holds the index's rebuild claim (a search replica
                 rebuilding at start or reordering), wait for it to finish instead of
                 refusing

Takes the rebuild claim the search replicas take (search:reorder:<SEARCH_INDEX> in REDIS_URL),
so it never builds beside another rebuild; holding it, it deletes what a killed rebuild left.
Refused with exit code 75 while another rebuild holds it (without --wait).
`;

/** EX_TEMPFAIL: another rebuild holds the claim; try again later. */
const CLAIM_HELD_EXIT_CODE = 75;
const CLAIM_POLL_MS = 5_000;

const args = parseArguments(process.argv.slice(2), USAGE);
const config = loadConfig();
const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, { service: "catalog-reindex" });
if (!config.search.openSearchUrl && !config.search.elasticsearchUrl) args.fail("Set OPENSEARCH_URL or ELASTICSEARCH_URL: the embedded index lives only inside a running process");

// The replicas' claim lives in the shared cache: without REDIS_URL no other process could
// see this one's, nor it theirs.
const redisUrl = config.cache.redisUrl ?? args.fail("Set REDIS_URL: the search index's rebuild claim is shared through it with the search replicas");
const redis = new RedisKeyValueStore(redisUrl, { logger });
// Commands sent before the connection is ready are refused, not queued (enableOfflineQueue).
await redis.connect().catch((error: unknown) => args.fail(`REDIS_URL does not answer: ${String(error)}`));
const kv: KeyValueStore = redis;
const claimKey = rebuildClaimKey(config.search.indexName);
const wait = args.flag("wait");
// Every mistake in the arguments is told before the claim is taken: a refusal exits at once,
// and a claim held by an exited process would stop every rebuild until it expires.
const batchSize = Math.max(1, args.int("batch", 1_000));
if (args.flag("from-store") && !config.documents.mongoUrl) args.fail("--from-store needs MONGO_URL");
let catalog: CatalogSource | undefined;
const index = await connectSearchIndex(config, logger);
try {
  let told = false;
  const outcome = await withRebuildClaim(
    kv,
    config.search.indexName,
    async (lease) => {
      let total: number;
      if (args.flag("from-store")) {
        const store = await openProductStore(config);
        total = await store.count({});
        catalog = storeCatalog(store);
      } else {
        const url = config.gateway.subgraphUrls.products;
        const client = createSubgraphClient({ url, audience: "products", internalSecret: config.auth.internalSecret, serviceName: "search" });
        total = (await client.request<{ products: { totalCount: number } }>(`{ products(first: 1) { totalCount } }`)).products.totalCount;
        await client.close();
        catalog = productsSubgraphCatalog({ url, internalSecret: config.auth.internalSecret });
      }
      const progress = createProgressBar(`indexing into ${index.engine}`, total);
      const { indexed } = await reindexCatalog({ index, catalog, logger, batchSize, dropAbandonedBuilds: true, lease, onProgress: (n) => progress.update(n) });
      return { indexed, ...progress.finish(indexed) };
    },
    {
      wait: wait
        ? {
            pollMs: CLAIM_POLL_MS,
            onHeld: () => {
              if (!told) process.stdout.write(`another rebuild holds ${claimKey}; waiting for it to finish (asking every ${CLAIM_POLL_MS / 1000} s)\n`);
              told = true;
            },
          }
        : undefined,
      // A claim this command no longer holds (it stalled past the lease) may let another
      // rebuild delete this one's build as abandoned: said, so a failure that follows is understood.
      onLost: () => process.stderr.write(`the rebuild claim ${claimKey} lapsed while this command rebuilt; another rebuild may have taken it\n`),
      // Ctrl-C or a stop mid-build gives the claim back (the half-built index is deleted by
      // the next rebuild that holds it); a kill -9 stops its renewal, and it lapses within a minute.
      onClaimed: (release) => {
        for (const signal of ["SIGINT", "SIGTERM"] as const) {
          process.once(signal, () => {
            process.stderr.write(`stopped by ${signal}; the current index is unchanged\n`);
            void release().finally(() => process.exit(130));
          });
        }
      },
    },
  );
  if (outcome.claimed) {
    const { indexed, seconds, perSecond } = outcome.result;
    process.stdout.write(`${indexed} products indexed in ${seconds.toFixed(1)} s (${Math.round(perSecond)} documents/s); alias ${config.search.indexName} switched\n`);
  } else {
    process.stderr.write(`another rebuild holds ${claimKey} (a search replica rebuilding at start or reordering, or another reindex); nothing was built. Run again with --wait to wait for it.\n`);
    process.exitCode = CLAIM_HELD_EXIT_CODE;
  }
} catch (error) {
  logger.error("reindex failed; the current index is unchanged", { error: String(error) });
  process.exitCode = 1;
} finally {
  await index.close();
  await catalog?.close();
  await kv.close();
}
