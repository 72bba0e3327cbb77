import type { CatalogProduct } from "../domain/cart.js";

/** The products subgraph as the cart sees it: names and current prices. */
export interface ProductCatalog {
  /** One call for all ids; products that do not exist (any more) are absent from the map. */
  findByIds(ids: readonly string[]): Promise<Map<string, CatalogProduct>>;
}
