import type { TypedText } from "../domain/suggestion-match.js";

/** What the index holds of a product: the searchable text, the facet fields and the sort keys. */
export interface SearchDocument {
  id: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  /** Attribute values (colour, size, specs), searchable as text. */
  attributes: string[];
  /** The lowest variant price in minor units (the product's "from" price): price sorts use it. */
  priceAmount: number;
  /** The highest variant price in minor units. */
  priceMax: number;
  /**
   * Each variant's price and option values (keys from `optionKey`: folded name and value), so
   * option and price filters match a product when one variant satisfies them all.
   */
  variants: { options: string[]; price: number }[];
  /** The product's option values for facets (`facetKey`: name and value as written), one per value whatever its case. */
  optionFacets: string[];
  currency: string;
  /** Creation time in epoch milliseconds (the NEWEST sort). */
  createdAt: number;
  /** Units sold (0 when none): breaks ties between equally good suggestions. */
  popularity: number;
  /** The catalog version this document reflects; an index never goes back to an older one (see indexVersion). */
  version: number;
}

/** One catalog change to apply; `version` orders changes of the same product. */
export type IndexChange = { kind: "upsert"; document: SearchDocument } | { kind: "delete"; id: string; version: number };

export type SearchSort = "RELEVANCE" | "PRICE_ASC" | "PRICE_DESC" | "NEWEST";

/** Products with a variant whose option `name` has one of `values` (case-insensitive). */
export interface OptionFilter {
  name: string;
  values: string[];
}

export interface SearchFilter {
  categories?: string[];
  brands?: string[];
  /**
   * Minor units; `min` inclusive, `max` exclusive, either may be open. A product matches when
   * one of its variants is priced in it (and has the filtered options, when there are some).
   */
  price?: { min?: number; max?: number };
  /** Every name must match (AND), any of its values (OR), on the same variant. */
  options?: OptionFilter[];
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
  /**
   * Whether words match with typos forgiven (AUTO:4,6 edits) or only as typed. Prefixes of the
   * last word match either way. The service asks as typed first (see searchAsTyped).
   */
  forgiveTypos: boolean;
  /**
   * The counts over all matches the caller reads. Each is a pass over every match (tens of
   * thousands at a million products), so one nobody reads is not made.
   */
  counts: SearchCounts;
}

export type FacetName = keyof SearchFacets;

export interface SearchCounts {
  total: boolean;
  facets: ReadonlySet<FacetName>;
  /**
   * Counted exactly up to this many matches. Past it an index stops counting: the total is
   * this number, a lower bound, and each facet counts some of the matches only (never more
   * than the truth, nor than this number), as `SearchHits.countsExact` says. Unset: every
   * match is counted, whatever the catalog's size.
   */
  exactUpTo?: number;
}

/** Every facet a search can count, in the order a result lists them. */
export const FACET_NAMES: readonly FacetName[] = ["categories", "brands", "priceRanges", "options"];

/** Every count: the total and each facet. */
export const EVERY_COUNT: SearchCounts = Object.freeze({ total: true, facets: new Set(FACET_NAMES) });

export interface FacetCount {
  value: string;
  count: number;
}

export interface PriceRangeCount {
  min: number | null;
  max: number | null;
  count: number;
}

/** Products per value of one option (name and values as written, case variants counted together). */
export interface OptionFacet {
  name: string;
  values: FacetCount[];
}

export interface SearchFacets {
  categories: FacetCount[];
  brands: FacetCount[];
  /** Products with a variant priced in each range. */
  priceRanges: PriceRangeCount[];
  options: OptionFacet[];
}

/**
 * A match, with what a results page shows of it as the index has it (the product's last
 * indexed change): its name and "from" price (the lowest variant price).
 */
export interface SearchHit {
  id: string;
  name: string;
  price: { amount: number; currency: string };
  /** The key to continue after it. */
  sortKey: SortKey;
}

export interface SearchHits {
  /** Matches of the query and filter, over all pages; null unless `counts.total` asked. */
  totalCount: number | null;
  /** Whether anything matches the query and filter, on any page (counted or not). */
  anyMatch: boolean;
  /** At most `first` hits. */
  hits: SearchHit[];
  hasNextPage: boolean;
  /**
   * Counts over all matches (not just this page), most frequent first, ties by value; empty
   * for a facet `counts.facets` did not ask for.
   */
  facets: SearchFacets;
  /**
   * Whether the total and the facets counted every match. False when more than
   * `counts.exactUpTo` match: the total is then `exactUpTo` and more match, and facet counts
   * are lower bounds. True when nothing was counted.
   */
  countsExact: boolean;
}

/** A product whose name matches typed text (`domain/suggestion-match.ts`), with its score. */
export interface ProductSuggestion {
  productId: string;
  /** The product's name. */
  text: string;
  /** `matchQuality` of the name for the typed text. */
  quality: number;
  popularity: number;
}

/** One brand or category value in the index, with how many products carry it and their units sold. */
export interface FacetValue {
  value: string;
  products: number;
  popularity: number;
}

/**
 * How the index stores its documents, as far as a relevance page's cost goes: the last rebuild
 * wrote the catalog newest first (`writtenInOrder` documents), and every product created since
 * is appended after them. See search-order.ts.
 */
export interface StorageOrder {
  /** Searchable documents now. */
  documents: number;
  /** Documents the last rebuild wrote newest first (0 for an index filled by live changes alone). */
  writtenInOrder: number;
}

export interface FacetValues {
  brands: FacetValue[];
  categories: FacetValue[];
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
/** How a rebuild treats what an earlier one left. */
export interface RebuildOptions {
  /**
   * The caller holds the one rebuild claim (`search:reorder:<index>`), so no other rebuild runs:
   * an index still being built is one whose rebuild died (a process killed half-way), and is
   * deleted rather than left on the engine for good. Without the claim it is only let go.
   */
  dropAbandonedBuilds?: boolean;
  /**
   * The claim's lease, for a caller holding it: a rebuild whose claim is lost (its holder stalled
   * past the lease, and another rebuilder may have taken it and deleted this build) stops
   * writing and fails, and it confirms the claim just before it moves the aliases, so it never
   * replaces what a rebuild holding the claim now serves or builds.
   */
  lease?: RebuildLease;
}

/** The rebuild claim as its holder sees it while it rebuilds (rebuild-claim.ts). */
export interface RebuildLease {
  /** Aborted, with the reason, once a renewal finds the claim another's or lapsed. */
  readonly signal: AbortSignal;
  /** Renews the claim now; rejects (and aborts `signal`) when it is no longer this holder's. */
  confirm(): Promise<void>;
}

export interface SearchIndex {
  readonly engine: string;
  /** Creates the index when it does not exist yet (idempotent). */
  ensureIndex(): Promise<void>;
  /** Whether the index must be (re)built from the catalog: it is empty, or an older version of this code made it. */
  needsRebuild(): Promise<boolean>;
  apply(changes: readonly IndexChange[]): Promise<void>;
  search(request: SearchRequest): Promise<SearchHits>;
  /**
   * Products whose names match `typed` by the `suggestion-match` rule (every typed word matches
   * a word of the name, exactly, at its start, inside it or with typos), one per distinct name,
   * best first: score, then popularity, then name, then id. Work is bounded by `limit` and the
   * name vocabulary, not by the catalog size.
   */
  suggestProducts(typed: TypedText, limit: number): Promise<ProductSuggestion[]>;
  /** Every brand and category value (engines may answer from a copy up to 30 s old; `refresh` renews it). */
  facetValues(): Promise<FacetValues>;
  /** Searchable documents now. */
  count(): Promise<number>;
  /** The documents now against those the last rebuild wrote in order (see StorageOrder). */
  storageOrder(): Promise<StorageOrder>;
  /** Makes every applied change visible to searches now (engines refresh on a short interval). */
  refresh(): Promise<void>;
  rebuild(source: AsyncIterable<SearchDocument[]>, onProgress?: (indexed: number) => void, options?: RebuildOptions): Promise<{ indexed: number }>;
  /**
   * Adapters keeping autocomplete in an index of its own: whether the product index is current
   * but that one is missing or of an older format, and its rebuild from the product index
   * (no catalog read), with no downtime.
   */
  suggestionsOutdated?(): Promise<boolean>;
  rebuildSuggestions?(options?: RebuildOptions): Promise<{ indexed: number }>;
  close(): Promise<void>;
}
