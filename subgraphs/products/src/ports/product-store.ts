import type { Product, ProductChanges } from "../domain/product.js";

/**
 * A place in a listing: the product's number in the order products were added to the
 * listing it came from (the whole catalog, or one category). Newest first means highest first.
 */
export interface ListPosition {
  seq: number;
}

export interface ProductListQuery {
  first: number;
  after?: ListPosition;
  category?: string;
}

export interface ListedProduct {
  product: Product;
  position: ListPosition;
}

/** The order a scan streams the catalog in; the default is oldest first. */
export interface ScanOrder {
  newestFirst?: boolean;
}

/** A batch of a full scan; `after` resumes the scan just after it. */
export interface ScanBatch {
  products: Product[];
  after: string;
}

/** A catalog write not yet announced on the event bus (the outbox kept inside the document). */
export interface UnpublishedChange {
  productId: string;
  version: number;
  deleted: boolean;
  product?: Product;
}

/** Which change the relay announced: enough to confirm it without re-reading the product. */
export type PublishedChange = Pick<UnpublishedChange, "productId" | "version" | "deleted">;

/**
 * A write to one product: the changes, or a function computing them from the product as it
 * is when the write happens (under the product's write lock), so read-modify-write changes
 * such as adding a variant never lose a concurrent one. The function may throw to refuse.
 */
export type ProductEdit = ProductChanges | ((current: Product) => ProductChanges);

export class DuplicateSkuError extends Error {
  /** `holder`: the product holding the SKU, when the store knows it (it may not be written yet). */
  constructor(
    readonly sku: string,
    readonly holder?: string,
  ) {
    super(`SKU ${sku} already exists`);
  }
}

/**
 * The documents role for the catalog. Guarantees:
 * - a SKU is unique across the catalog, product and variant SKUs alike (insert and update
 *   throw DuplicateSkuError);
 * - every write bumps `version` and is recorded as unpublished in the same single-document
 *   write, so a write and its change event can never diverge even without transactions;
 * - deleted products are invisible to reads at once and leave a tombstone for good, so a
 *   deletion sent again is told from an id the catalog never had (`wasDeleted`);
 * - a read touches a bounded number of products whatever the catalog's size (an id, a block
 *   of a listing, a counter), never the whole collection: the catalog is sized for millions.
 */
export interface ProductStore {
  readonly engine: string;
  findByIds(ids: readonly string[]): Promise<Map<string, Product>>;
  /**
   * Newest first: in the order products were added, the last added first; a product moved to
   * another category counts as added to that category's listing when it moved.
   */
  list(query: ProductListQuery): Promise<{ items: ListedProduct[]; hasNextPage: boolean }>;
  /** Live products, overall or in a category: a maintained count, never a scan. */
  count(query: { category?: string }): Promise<number>;
  /**
   * Whether the store holds no product document at all: live, deleted, or written by an
   * earlier version in a layout this one does not list yet (one bounded read). Seeding asks
   * this rather than `count`, so it never loads a catalog over one it cannot see.
   */
  isEmpty(): Promise<boolean>;
  insert(product: Product): Promise<void>;
  /**
   * Bulk load for seeding and benchmarks; still unique by SKU. Announced like any write,
   * unless `announce: false` (a bulk load that a search reindex follows).
   */
  insertMany(products: Product[], options?: { announce?: boolean }): Promise<void>;
  update(id: string, edit: ProductEdit, now: Date): Promise<Product | null>;
  remove(id: string, now: Date): Promise<boolean>;
  /** Whether the id names a product this catalog removed (its tombstone). */
  wasDeleted(id: string): Promise<boolean>;
  unpublishedChanges(limit: number): Promise<UnpublishedChange[]>;
  /**
   * Marks changes as announced, each unless a newer write to its product happened meanwhile;
   * a published delete keeps its tombstone. Batched: the relay marks a whole page at once.
   */
  markPublished(changes: readonly PublishedChange[]): Promise<void>;
  /**
   * Streams every live product once, oldest first (the order they were added), from just after
   * `after` (a batch's `after` from an earlier scan of the same order) when given. A product
   * written during the scan may be seen in either version; its change event follows anyway.
   * `newestFirst` streams them newest first instead, each product where its creation puts it
   * (updates do not move it): the search rebuild reads the catalog so, and the engine stores
   * documents in the order it receives them (see SearchEngineIndex.rebuild). A product added
   * during a newest-first scan is not in it: its change event brings it.
   */
  scan(batchSize: number, after?: string, order?: ScanOrder): AsyncIterable<ScanBatch>;
  close(): Promise<void>;
}
