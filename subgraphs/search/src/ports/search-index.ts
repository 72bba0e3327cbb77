/** What the index holds of a product: the searchable text, the facet fields and the sort keys. */
export interface SearchDocument {
  id: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  /** Attribute values (colour, size, specs), searchable as text. */
  attributes: string[];
  /** Price in minor units, for price filters, price facets and price sorts. */
  priceAmount: number;
  currency: string;
  /** Creation time in epoch milliseconds (the NEWEST sort). */
  createdAt: number;
  /** The catalog version this document reflects; an index never goes back to an older one. */
  version: number;
}

/** One catalog change to apply; `version` orders changes of the same product. */
export type IndexChange = { kind: "upsert"; document: SearchDocument } | { kind: "delete"; id: string; version: number };

export type SearchSort = "RELEVANCE" | "PRICE_ASC" | "PRICE_DESC" | "NEWEST";

export interface SearchFilter {
  categories?: string[];
  brands?: string[];
  /** Minor units; `min` inclusive, `max` exclusive, either may be open. */
  price?: { min?: number; max?: number };
}

/** Where the previous page ended: its last hit's sort value and id (search_after). */
export type SortKey = [number, string];

export interface SearchRequest {
  /** Free text; empty matches every product (browsing by filters). */
  text: string;
  filter: SearchFilter;
  sort: SearchSort;
  first: number;
  after?: SortKey;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface PriceRangeCount {
  min: number | null;
  max: number | null;
  count: number;
}

export interface SearchFacets {
  categories: FacetCount[];
  brands: FacetCount[];
  priceRanges: PriceRangeCount[];
}

export interface SearchHits {
  /** Matches of the query and filter, over all pages. */
  totalCount: number;
  /** At most `first` hits, each with the key to continue after it. */
  hits: { id: string; sortKey: SortKey }[];
  hasNextPage: boolean;
  /** Counts over all matches (not just this page), most frequent first, ties by value. */
  facets: SearchFacets;
}

export interface Suggestion {
  text: string;
  productId: string;
}

/**
 * The search role. Guarantees every adapter keeps (the contract suite checks them):
 * - typo tolerance (a word of 4+ letters with one letter missing, extra or changed, and one
 *   of 6+ letters with two adjacent letters swapped, still matches), prefix matching on the
 *   last word, filters, facets over all matches, stable sorts with the id as tie-breaker,
 *   and pages that continue exactly after the previous page's last hit;
 * - changes are idempotent and ordered per product by `version`: a change older than (or as
 *   old as) what the index holds is ignored, so replays and reorderings are harmless;
 * - `rebuild` fills a new index from the catalog while searches keep answering from the
 *   old one and live changes reach both, then switches over atomically.
 */
export interface SearchIndex {
  readonly engine: string;
  /** Creates the index when it does not exist yet (idempotent). */
  ensureIndex(): Promise<void>;
  apply(changes: readonly IndexChange[]): Promise<void>;
  search(request: SearchRequest): Promise<SearchHits>;
  /** Distinct product names with a word starting with each word of `prefix`, best first. */
  suggest(prefix: string, limit: number): Promise<Suggestion[]>;
  /** Searchable documents now. */
  count(): Promise<number>;
  /** Makes every applied change visible to searches now (engines refresh on a short interval). */
  refresh(): Promise<void>;
  rebuild(source: AsyncIterable<SearchDocument[]>, onProgress?: (indexed: number) => void): Promise<{ indexed: number }>;
  close(): Promise<void>;
}
