import type { Product } from "../domain/product.js";
import type { ListingQuery } from "../listing/listing-query.js";
import type { ListingCard } from "../listing/listing-card.js";

/** A listed product id with its sort key (what a cursor after it holds) and its card. */
export interface ListedEntry {
  id: string;
  key: string;
  /** Absent for an entry listed before listings carried cards (rebuild-listings adds them). */
  card?: ListingCard;
}

/**
 * One page of a listing. `endKey` is where the next page starts: the last item's key, or, when
 * the index stopped at its read budget before filling the page, the last key it examined.
 */
export interface ListingPage {
  items: ListedEntry[];
  hasNextPage: boolean;
  endKey: string | null;
}

/** A variant's stock as inventory last announced it. */
export interface StockRecord {
  productId: string;
  variantId: string;
  inStock: boolean;
  /** When inventory changed it: an older record never replaces a newer one. */
  at: Date;
}

/**
 * The catalog's sorted, filterable listings, kept beside the product documents and fed from
 * them (`sync`), from inventory (`recordStock`) and from sales (`addPopularity`). Guarantees:
 * - keyset pages: a page holds the products whose key follows the cursor's in the sort's
 *   order, so a product changing meanwhile never makes another repeat or be skipped;
 * - a page reads a bounded amount whatever the catalog's size; a selective filter may get a
 *   short page with `hasNextPage` true, read on from `endKey`;
 * - every feed is idempotent and ordered: a product older (by version) than the one listed,
 *   a stock record older than the one kept, a popularity batch already counted change nothing.
 */
export interface ListingIndex {
  readonly engine: string;
  /** Lists products as given (by version); an id mapped to null is no longer listed. */
  sync(products: ReadonlyMap<string, Product | null>): Promise<void>;
  /**
   * Lists many products at once (seeding, benchmarks, rebuilding), as `sync` does but each
   * listing written once for the lot; only while nothing else feeds these products.
   */
  load(products: readonly Product[]): Promise<void>;
  /**
   * Lists a whole catalog, batch after batch, into listings that hold nothing yet (a first
   * build or a rebuild after losing them): each listing written once at the end, so a million
   * products take minutes, not hours. Returns how many products were listed.
   */
  build(batches: AsyncIterable<readonly Product[]>, onProgress?: (listed: number) => void): Promise<number>;
  /** Whether nothing is listed (one bounded read): a catalog from before listings needs a rebuild. */
  isEmpty(): Promise<boolean>;
  /** Keeps a variant's in-stock flag; returns whether the product's listed flag changed. */
  recordStock(record: StockRecord): Promise<boolean>;
  /**
   * Adds units sold to listed products' popularity as batch number `batch` (batches increase):
   * a product that already took this batch or a later one is left alone, so a batch replayed
   * after a crash counts once.
   */
  addPopularity(batch: number, units: ReadonlyMap<string, number>): Promise<void>;
  /** Popularity (units sold) of listed products; absent ids sold none or are not listed. */
  popularity(ids: readonly string[]): Promise<Map<string, number>>;
  list(query: ListingQuery): Promise<ListingPage>;
  close(): Promise<void>;
}
