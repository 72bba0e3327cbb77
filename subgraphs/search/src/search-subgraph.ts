import { isTransientInfrastructureError, loopbackHostCheck, startSubgraphServer, subgraphReadiness, type DomainEvent, type Logger, type Platform, type RunningServer } from "#kernel";
import type { ProductChangeEvent } from "../../products/src/domain/product.js";
import { createSearchSchema } from "./subgraph.js";
import { createSearchContext } from "./subgraph-context.js";
import { createSearchService } from "./domain/search.service.js";
import { startProductIndexer } from "./domain/product-indexer.js";
import { reindexCatalog } from "./domain/reindex.js";
import { startSearchOrderKeeper, type ReorderPolicy } from "./domain/search-order.js";
import { withRebuildClaim } from "./domain/rebuild-claim.js";
import { connectSearchIndex } from "./adapters/connect-search-index.js";
import { productsSubgraphCatalog } from "./adapters/products-subgraph-catalog.js";
import { productsSubgraphCategories } from "./adapters/products-subgraph-categories.js";
import type { CatalogSource } from "./ports/catalog-source.js";
import type { CategoryScopes } from "./ports/category-scopes.js";
import type { RebuildLease, SearchIndex } from "./ports/search-index.js";

export interface RunningSearch extends RunningServer {
  index: SearchIndex;
  catalog: CatalogSource;
}

export interface SearchSubgraphOptions {
  port?: number;
  index?: SearchIndex;
  /** Where the initial build reads the catalog; by default the products subgraph at `productsUrl`. */
  catalog?: CatalogSource;
  /** What lies below each category, for category filters; by default the products subgraph's tree at `productsUrl`. */
  categories?: CategoryScopes;
  /** The products subgraph's URL (one-process mode passes the bound one). */
  productsUrl?: string;
  /** When the stored order calls for a rebuild (tests lower it; see search-order.ts). */
  reorderPolicy?: ReorderPolicy;
  /** Told after each change the indexer applied (tests). */
  onIndexed?: (event: DomainEvent<ProductChangeEvent>) => void;
}

/**
 * Starts the search subgraph: the index, the indexer that follows catalog changes, an
 * initial build when the index is empty (first start, or after losing the search engine), a
 * background rebuild when it was made by an older mapping or holds documents of an older
 * format (an upgrade; one replica at a time, under the rebuild claim) or when products
 * appended since its last rebuild call for one (search-order.ts), then the server.
 */
export async function startSearchSubgraph(platform: Platform, options: SearchSubgraphOptions = {}): Promise<RunningSearch> {
  const { config } = platform;
  const logger = platform.logger.child({ subgraph: "search" });
  const index = options.index ?? (await connectSearchIndex(config, logger));
  const catalog =
    options.catalog ??
    productsSubgraphCatalog({ url: options.productsUrl ?? config.gateway.subgraphUrls.products, internalSecret: config.auth.internalSecret });
  const categories =
    options.categories ??
    productsSubgraphCategories({ url: options.productsUrl ?? config.gateway.subgraphUrls.products, internalSecret: config.auth.internalSecret, logger });
  const closers: (() => Promise<void>)[] = [() => index.close(), () => catalog.close(), () => categories.close()];
  try {
    await index.ensureIndex();
    // Subscribed before the build: a change made while it runs reaches both indexes.
    const indexer = await startProductIndexer({ bus: platform.bus, index, logger, onIndexed: options.onIndexed });
    closers.unshift(() => indexer.stop());
    // One rebuild of this process at a time, whoever asks (an upgrade at start, the order keeper).
    let rebuilding: Promise<unknown> | undefined;
    const rebuildInBackground = (claim: { dropAbandonedBuilds?: boolean; lease?: RebuildLease } = {}): Promise<boolean> => {
      if (rebuilding) return Promise.resolve(false);
      rebuilding = reindexCatalog({ index, catalog, logger, ...claim }).finally(() => {
        rebuilding = undefined;
      });
      return rebuilding.then(() => true);
    };
    if (await index.needsRebuild()) {
      // An empty index has nothing to answer with: built before serving (seconds at the
      // demo's size). An index made by an older mapping keeps answering behind its alias
      // while the new one is built, which takes an hour at a million products: in the
      // background, so the subgraph is ready at once; a failed build is retried at next start.
      // The first build takes the rebuild claim too: replicas starting together on an empty
      // index build it once, and a claimed rebuild (the order keeper, the reindex command)
      // never deletes this build as one a killed rebuild left. While another holds the claim
      // this replica waits for it (it has nothing to answer with), then builds only if the
      // index is still empty.
      if ((await index.count()) === 0) {
        await buildOnceTheCatalogAnswers(async () => {
          let told = false;
          await withRebuildClaim(
            platform.kv,
            config.search.indexName,
            async (lease) => {
              if ((await index.count()) === 0) await reindexCatalog({ index, catalog, logger, dropAbandonedBuilds: true, lease });
            },
            {
              wait: {
                pollMs: FIRST_BUILD_CLAIM_POLL_MS,
                onHeld: () => {
                  if (!told) logger.info("another rebuild holds the empty search index's rebuild claim; this replica waits for it before serving");
                  told = true;
                },
              },
              onLost: claimLost(logger),
            },
          );
        }, logger);
      } else {
        // Under the rebuild claim: replicas of a new version starting together rebuild once.
        logger.info("search index is rebuilt in the background; the current one answers until it is done");
        void withRebuildClaim(platform.kv, config.search.indexName, (lease) => rebuildInBackground({ dropAbandonedBuilds: true, lease }), { onLost: claimLost(logger) }).then(
          (outcome) =>
            outcome.claimed
              ? logger.info("search index rebuilt")
              : logger.info("another replica holds the search index's rebuild claim and rebuilds it; this one answers from the current index meanwhile"),
          (error: unknown) => logger.warn("search index rebuild failed; the next start tries again", { error: String(error) }),
        );
      }
    } else if (index.rebuildSuggestions && (await index.suggestionsOutdated?.())) {
      // Minutes, from the product index; autocomplete reads the product index meanwhile.
      const rebuildSuggestions = index.rebuildSuggestions.bind(index);
      logger.info("suggestion index is rebuilt from the product index in the background");
      void withRebuildClaim(platform.kv, config.search.indexName, (lease) => rebuildSuggestions({ dropAbandonedBuilds: true, lease }), { onLost: claimLost(logger) }).then(
        (outcome) => logger.info(outcome.claimed ? "suggestion index rebuilt" : "another replica holds the search index's rebuild claim; this one suggests from the product index meanwhile"),
        (error: unknown) => logger.warn("suggestion index rebuild failed; the next start tries again", { error: String(error) }),
      );
    }
    if (config.search.reorderCheckMs > 0) {
      const keeper = startSearchOrderKeeper({
        index,
        kv: platform.kv,
        indexName: config.search.indexName,
        intervalMs: config.search.reorderCheckMs,
        rebuild: rebuildInBackground,
        logger,
        policy: options.reorderPolicy,
      });
      closers.unshift(async () => keeper.stop());
    }

    const service = createSearchService({ index, categories, exactCountLimit: config.search.exactCountLimit });
    const server = await startSubgraphServer({
      name: "search",
      schema: createSearchSchema(),
      internalSecret: config.auth.internalSecret,
      logger,
      extendContext: (base) => createSearchContext(base, service),
      port: options.port ?? config.subgraphPorts.search,
      host: config.host,
      acceptsHost: loopbackHostCheck(config),
      readiness: subgraphReadiness(platform, { needs: ["search"] }),
    });
    closers.unshift(server.close);
    return { ...server, index, catalog, close: () => closeAll(closers) };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/** How often a replica whose index is empty asks for the rebuild claim another holds. */
const FIRST_BUILD_CLAIM_POLL_MS = 500;

/** A rebuild whose claim lapsed (the process stalled past its lease) may be another's to delete. */
const claimLost = (logger: Logger) => () => logger.warn("the search index's rebuild claim lapsed while this replica rebuilt; another rebuild may have taken it");

/**
 * The first build needs the products subgraph. Started as its own process, search may come up
 * before products does (a fleet starting, products restarting): it waits for it, within a
 * minute, instead of exiting and being restarted in a loop.
 */
async function buildOnceTheCatalogAnswers(build: () => Promise<unknown>, logger: Logger, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await build();
      return;
    } catch (error) {
      if (!isTransientInfrastructureError(error) || Date.now() > deadline) throw error;
      if (attempt === 1) logger.warn("the catalog does not answer yet; the first search index build waits for it", { error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers) await close().catch(() => undefined);
}
