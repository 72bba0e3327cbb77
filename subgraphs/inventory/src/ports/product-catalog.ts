/** What the inventory asks the catalog: whether a product exists, before recording stock for it. */
export interface ProductCatalog {
  exists(productId: string): Promise<boolean>;
}
