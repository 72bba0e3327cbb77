import type { SubgraphClient } from "#kernel";
import type { ProductCatalog } from "../ports/product-catalog.js";

const PRODUCT_VARIANTS = `query ProductVariantIds($id: ID!) { product(id: $id) { variants { id } } }`;
const VARIANT_EXISTS = `query VariantExists($representations: [_Any!]!) { _entities(representations: $representations) { ... on ProductVariant { id } } }`;

/** Asks the products subgraph (service to service) which variants exist. */
export function createSubgraphProductCatalog(products: SubgraphClient): ProductCatalog {
  return {
    async variantIdsOf(productId) {
      const data = await products.request<{ product: { variants: { id: string }[] } | null }>(PRODUCT_VARIANTS, { id: productId });
      return data.product ? data.product.variants.map((variant) => variant.id) : null;
    },
    async variantExists(variantId) {
      const data = await products.request<{ _entities: ({ id: string } | null)[] }>(VARIANT_EXISTS, {
        representations: [{ __typename: "ProductVariant", id: variantId }],
      });
      return Boolean(data._entities[0]?.id);
    },
  };
}
