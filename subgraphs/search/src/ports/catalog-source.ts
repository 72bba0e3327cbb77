import type { SearchDocument } from "./search-index.js";

/** The catalog as search reads it to (re)build the index: every live product, page by page. */
export interface CatalogSource {
  scan(batchSize: number): AsyncIterable<SearchDocument[]>;
  close(): Promise<void>;
}
