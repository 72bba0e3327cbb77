/**
 * The category tree as search reads it. The index knows each product by its own category
 * only, where a shopper (and the products subgraph's `categorySlug`) means a category and
 * everything below it.
 */
export interface CategoryScopes {
  /**
   * Each slug with every slug below it, once each. Slugs are lowercase; one the tree does not
   * know stands for itself (it matches no product, or products of a category created since the
   * tree was read). Never throws: with no tree to read, every slug stands for itself.
   */
  within(slugs: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}
