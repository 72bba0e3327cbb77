import type { Logger } from "#kernel";
import type { CatalogSource } from "../ports/catalog-source.js";
import type { RebuildLease, SearchIndex } from "../ports/search-index.js";

/**
 * Rebuilds the index from the whole catalog with no downtime (a new index, then an atomic
 * switch): the reindex command, the recovery after losing the search engine, and the
 * initial build of an empty index all run this.
 */
export async function reindexCatalog(deps: {
  index: SearchIndex;
  catalog: CatalogSource;
  logger?: Logger;
  batchSize?: number;
  onProgress?: (indexed: number) => void;
  /** See RebuildOptions.dropAbandonedBuilds: only for a caller holding the rebuild claim. */
  dropAbandonedBuilds?: boolean;
  /** See RebuildOptions.lease: the rebuild claim's lease, which stops the rebuild once lost. */
  lease?: RebuildLease;
}): Promise<{ indexed: number; seconds: number }> {
  const startedAt = performance.now();
  const { indexed } = await deps.index.rebuild(deps.catalog.scan(deps.batchSize ?? 1_000), deps.onProgress, { dropAbandonedBuilds: deps.dropAbandonedBuilds, lease: deps.lease });
  const seconds = (performance.now() - startedAt) / 1000;
  deps.logger?.info("catalog reindexed", { engine: deps.index.engine, indexed, seconds: Number(seconds.toFixed(2)) });
  return { indexed, seconds };
}
