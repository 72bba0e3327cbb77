import type { SubgraphClient } from "#kernel";
import type { ProductCatalog } from "../ports/product-catalog.js";

/** Asks the products subgraph (service to service) whether a product exists. */
export function createSubgraphProductCatalog(products: SubgraphClient): ProductCatalog {
  return {
    async exists(productId) {
      const data = await products.request<{ product: { id: string } | null }>(`query ProductExists($id: ID!) { product(id: $id) { id } }`, { id: productId });
      return data.product !== null;
    },
  };
}
