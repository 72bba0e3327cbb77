import type { CatalogVariant } from "../domain/cart.js";

/** The products subgraph as the cart sees it: variants with their names and current prices. */
export interface ProductCatalog {
  /** One call for all ids; variants that do not exist (any more) are absent from the map. */
  findVariants(variantIds: readonly string[]): Promise<Map<string, CatalogVariant>>;
  /** One call for all ids: each known product's variant ids; unknown products are absent. */
  variantIdsOf(productIds: readonly string[]): Promise<Map<string, string[]>>;
}
