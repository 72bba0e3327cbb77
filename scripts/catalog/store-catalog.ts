import type { ProductStore } from "../../subgraphs/products/src/ports/product-store.js";
import type { CatalogSource } from "../../subgraphs/search/src/ports/catalog-source.js";
import { toSearchDocument } from "../../subgraphs/search/src/domain/search-document.js";

/**
 * The catalog read straight from the product store, for operators: a reindex that must not
 * depend on the products service (recovery, benchmarks of the search engine alone).
 */
export function storeCatalog(store: ProductStore): CatalogSource {
  return {
    async *scan(batchSize: number) {
      // Newest first, as the products service's catalogPage: see SearchEngineIndex.rebuild.
      for await (const { products } of store.scan(batchSize, undefined, { newestFirst: true })) yield products.map(toSearchDocument);
    },
    close: () => store.close(),
  };
}
