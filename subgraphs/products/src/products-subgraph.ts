import { createLockService, loopbackHostCheck, startSubgraphServer, subgraphReadiness, Topics, type DomainEvent, type Platform, type RunningServer } from "#kernel";
import { createProductsSchema } from "./subgraph.js";
import { createProductService, type ProductService } from "./domain/product.service.js";
import { createVariantLookup, type VariantLookup } from "./domain/variant-lookup.js";
import { productUpserted, startProductChangeRelay } from "./domain/product-change-relay.js";
import { withPopularity } from "./domain/with-popularity.js";
import { createProductCache, type ProductCache } from "./domain/product-cache.js";
import { startProductCacheInvalidation } from "./domain/product-cache-invalidation.js";
import type { ProductChangeEvent } from "./domain/product.js";
import { createProductsContext } from "./subgraph-context.js";
import { openProductStore } from "./adapters/open-product-store.js";
import type { ProductStore } from "./ports/product-store.js";
import type { ListingIndex } from "./ports/listing-index.js";
import type { CategoryStore } from "./ports/category-store.js";
import { openListingStores } from "./adapters/open-listing-stores.js";
import { createCategoryService } from "./categories/category.service.js";
import { DEMO_CATEGORY_TREE } from "./categories/demo-category-tree.js";
import { createProductListingService } from "./listing/product-listing.service.js";
import { startListingSync, startStockFlags } from "./listing/listing-feeds.js";
import { rebuildListings } from "./listing/rebuild-listings.js";
import { startPopularityFeed } from "./listing/popularity-feed.js";
import type { SalesLedger } from "./ports/sales-ledger.js";
import { createProductViewService } from "./trending/product-view.service.js";
import { createTrendingRanking } from "./trending/trending-ranking.js";
import { startTrendingCounter } from "./trending/trending-counter.js";
import { startProductImages, type ProductImages, type ProductImagesOptions } from "./images/start-product-images.js";

export interface RunningProducts extends RunningServer {
  service: ProductService;
  store: ProductStore;
  listings: ListingIndex;
  categories: CategoryStore;
  /** Applies the sales recorded so far to popularity now (tests). */
  flushPopularity(): Promise<number>;
  /** Publishes catalog writes made straight to the store (the demo seed) without waiting for the relay's poll. */
  announceChanges(): void;
  /** The hot cache, unless PRODUCT_CACHE_TTL_MS is 0. */
  cache?: ProductCache;
  /** Image storage, uploads and origin. */
  images: ProductImages;
  /** Variants as `_entities` answers them, for the services of this process (one-process layout). */
  variants: VariantLookup;
}

export interface ProductsSubgraphOptions {
  port?: number;
  store?: ProductStore;
  listings?: ListingIndex;
  categories?: CategoryStore;
  sales?: SalesLedger;
  /** How often sold units are applied to popularity (default 2 s). */
  popularityFlushMs?: number;
  /** The clock of view stamps, trending buckets and rankings (tests move time with it). */
  trendingClock?: () => number;
  /** Namespace of the trending keys in the key-value store (tests sharing one Redis). */
  trendingKeyPrefix?: string;
  /** Whether this process runs a member of the trending counter group (default true). */
  countViews?: boolean;
  /** Told after each change event the cache invalidation applied (tests). */
  onCacheInvalidated?: (event: DomainEvent<ProductChangeEvent>) => void;
  /** Object store and renditions worker of product images (tests). */
  images?: ProductImagesOptions;
  /** `false`: every request through Apollo Server's pipeline (the reference a benchmark compares against). */
  preparedQueries?: boolean;
}

/** Starts the products subgraph on the platform: store, hot cache, change relay, service, server. */
export async function startProductsSubgraph(platform: Platform, options: ProductsSubgraphOptions = {}): Promise<RunningProducts> {
  const { config, logger: rootLogger } = platform;
  const logger = rootLogger.child({ subgraph: "products" });
  const store = options.store ?? (await openProductStore(config, { kv: platform.kv }));
  const ttlMs = config.catalog.productCacheTtlMs;
  const cache = ttlMs > 0 ? createProductCache({ kv: platform.kv, ttlMs, logger }) : undefined;
  // Subscribed before the relay starts, so no change announced from now on is missed.
  const invalidation = cache
    ? await startProductCacheInvalidation({ bus: platform.bus, cache, logger, onApplied: options.onCacheInvalidated })
    : undefined;
  const opened = options.listings && options.categories && options.sales ? undefined : await openListingStores(config, { kv: platform.kv, logger });
  const listings = options.listings ?? opened!.listings;
  const categoryStore = options.categories ?? opened!.categories;
  const sales = options.sales ?? opened!.sales;
  // The demo tree goes with the demo catalog; a shop with its own catalog makes its own tree.
  if (config.catalog.seedProducts > 0) await categoryStore.insertMissing(DEMO_CATEGORY_TREE);
  // A zero-setup catalog kept from before listings existed: small, so listed here at once.
  // On MongoDB that is scripts/catalog/rebuild-listings.ts (a million products take a while).
  if (listings.engine === "embedded" && (await listings.isEmpty()) && !(await store.isEmpty())) await rebuildListings({ store, listings });
  const listingSync = await startListingSync({ bus: platform.bus, listings, logger });
  const stockFlags = await startStockFlags({ bus: platform.bus, listings, logger });
  const popularityOf = (ids: readonly string[]) => listings.popularity(ids);
  const announce = async (ids: readonly string[]) => {
    // Read after the batch was applied (see the popularity feed), so the announcement is current.
    const events = (await withPopularity([...(await store.findByIds(ids)).values()], popularityOf)).map(productUpserted);
    if (events.length > 0) await platform.bus.publish(Topics.productChanged, events);
  };
  const popularity = await startPopularityFeed({ bus: platform.bus, ledger: sales, listings, logger, flushMs: options.popularityFlushMs ?? config.catalog.popularityFlushMs, announce });
  const relay = startProductChangeRelay({ store, bus: platform.bus, logger, popularityOf });
  const service = createProductService({ store, cache, onWrite: relay.nudge, logger, popularityOf });
  const count = (category?: string) => store.count({ category });
  const treeLocks = createLockService(platform.kv);
  const categories = createCategoryService({
    store: categoryStore,
    count,
    // Longer than a write's reads and writes take at their deadlines (5 s), so a held lock
    // does not lapse while its holder still writes.
    treeLock: (work) => treeLocks.withLock("category-tree", work, { ttlMs: 15_000, waitMs: 5_000 }),
  });
  const listing = createProductListingService({ listings, tree: categories.tree, findByIds: service.findByIds, count });
  const trendingDeps = { kv: platform.kv, clock: options.trendingClock, keyPrefix: options.trendingKeyPrefix, logger };
  const views = createProductViewService({ ...trendingDeps, bus: platform.bus, findByIds: service.findByIds });
  const trending = createTrendingRanking({ ...trendingDeps, categories });
  const counter = options.countViews === false ? undefined : await startTrendingCounter({ ...trendingDeps, bus: platform.bus });
  const images = await startProductImages(platform, { service, logger }, options.images);
  const server = await startSubgraphServer({
    name: "products",
    schema: createProductsSchema(),
    internalSecret: config.auth.internalSecret,
    logger,
    extendContext: (base) => createProductsContext(base, service, images.baseUrl(), { listing, categories, views, trending, uploads: images.uploads }),
    port: options.port ?? config.subgraphPorts.products,
    host: config.host,
    acceptsHost: loopbackHostCheck(config),
    readiness: subgraphReadiness(platform, { needs: ["documents"], uses: ["cache"] }),
    publicHandler: images.publicHandler,
    preparedQueries: options.preparedQueries,
  });
  images.listeningAt(server.url.replace(/\/graphql$/, ""));
  return {
    ...server,
    service,
    store,
    listings,
    categories: categoryStore,
    flushPopularity: popularity.flush,
    announceChanges: relay.nudge,
    cache,
    images,
    variants: createVariantLookup(service.findByIds),
    async close() {
      await server.close();
      await relay.stop();
      await listingSync.stop();
      await stockFlags.stop();
      await popularity.stop();
      await counter?.stop();
      await images.stop();
      await invalidation?.stop();
      await store.close();
      await listings.close();
      await categoryStore.close();
      await sales.close();
    },
  };
}
