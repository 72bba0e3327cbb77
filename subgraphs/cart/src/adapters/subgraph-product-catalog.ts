import type { SubgraphClient } from "#kernel";
import type { CatalogProduct } from "../domain/cart.js";
import type { ProductCatalog } from "../ports/product-catalog.js";

const PRODUCTS_BY_ID = `query CartProducts($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name price { amount currency } } }
}`;

/** Current names and prices from the products subgraph, one `_entities` call per batch. */
export function createSubgraphProductCatalog(client: SubgraphClient): ProductCatalog {
  return {
    async findByIds(ids) {
      const found = new Map<string, CatalogProduct>();
      if (ids.length === 0) return found;
      const data = await client.request<{ _entities: (CatalogProduct | null)[] }>(PRODUCTS_BY_ID, {
        representations: ids.map((id) => ({ __typename: "Product", id })),
      });
      for (const product of data._entities) if (product) found.set(product.id, product);
      return found;
    },
  };
}
