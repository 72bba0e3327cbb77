import type { SubgraphClient } from "#kernel";
import type { CatalogVariant } from "../domain/cart.js";
import type { ProductCatalog } from "../ports/product-catalog.js";

const VARIANTS_BY_ID = `query CartVariants($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on ProductVariant { id sku title options { name value } price { amount currency } product { id name category } }
  }
}`;

const VARIANT_IDS_OF_PRODUCTS = `query CartProductVariants($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id variants { id } } }
}`;

type VariantEntity = Omit<CatalogVariant, "productId" | "name" | "category"> & { product: { id: string; name: string; category: string | null } };

/** Variants' current names and prices from the products subgraph, one `_entities` call per batch. */
export function createSubgraphProductCatalog(client: SubgraphClient): ProductCatalog {
  return {
    async findVariants(ids) {
      const found = new Map<string, CatalogVariant>();
      if (ids.length === 0) return found;
      const data = await client.request<{ _entities: (VariantEntity | null)[] }>(VARIANTS_BY_ID, {
        representations: ids.map((id) => ({ __typename: "ProductVariant", id })),
      });
      for (const entity of data._entities) {
        if (!entity?.id) continue;
        const { product, ...variant } = entity;
        found.set(entity.id, { ...variant, productId: product.id, name: product.name, category: product.category });
      }
      return found;
    },
    async variantIdsOf(productIds) {
      const found = new Map<string, string[]>();
      if (productIds.length === 0) return found;
      const data = await client.request<{ _entities: ({ id: string; variants: { id: string }[] } | null)[] }>(VARIANT_IDS_OF_PRODUCTS, {
        representations: productIds.map((id) => ({ __typename: "Product", id })),
      });
      for (const product of data._entities) if (product?.id) found.set(product.id, product.variants.map((variant) => variant.id));
      return found;
    },
  };
}
