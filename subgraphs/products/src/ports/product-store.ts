import type { Product, ProductChanges } from "../domain/product.js";

/** Position in the newest-first listing: products sort by (createdAt desc, id desc). */
export interface ListPosition {
  createdAt: string;
  id: string;
}

export interface ProductListQuery {
  first: number;
  after?: ListPosition;
  category?: string;
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

export class DuplicateSkuError extends Error {
  constructor(readonly sku: string) {
    super(`SKU ${sku} already exists`);
  }
}

/**
 * The documents role for the catalog. Guarantees:
 * - a SKU is unique (insert throws DuplicateSkuError);
 * - every write bumps `version` and is recorded as unpublished in the same single-document
 *   write, so a write and its change event can never diverge even without transactions;
 * - deleted products are invisible to reads at once, and leave a tombstone until published.
 */
export interface ProductStore {
  readonly engine: string;
  findByIds(ids: readonly string[]): Promise<Map<string, Product>>;
  list(query: ProductListQuery): Promise<{ items: Product[]; hasNextPage: boolean }>;
  count(query: { category?: string }): Promise<number>;
  insert(product: Product): Promise<void>;
  /**
   * Bulk load for seeding and benchmarks; still unique by SKU. Announced like any write,
   * unless `announce: false` (a bulk load that a search reindex follows).
   */
  insertMany(products: Product[], options?: { announce?: boolean }): Promise<void>;
  update(id: string, changes: ProductChanges, now: Date): Promise<Product | null>;
  remove(id: string, now: Date): Promise<boolean>;
  unpublishedChanges(limit: number): Promise<UnpublishedChange[]>;
  /**
   * Marks changes as announced, each unless a newer write to its product happened meanwhile;
   * a published delete drops its tombstone. Batched: the relay marks a whole page at once.
   */
  markPublished(changes: readonly PublishedChange[]): Promise<void>;
  /** Streams every live product in id order, from just after `after` when given (reindexing). */
  scan(batchSize: number, after?: string): AsyncIterable<Product[]>;
  close(): Promise<void>;
}
