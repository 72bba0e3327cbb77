import { productIdOfVariant } from "#kernel";
import type { Product } from "./product.js";
import { variantTitle } from "./product-variants.js";

/** A variant as another service of this process reads it: what its `_entities` lookup selects. */
export interface VariantSummary {
  id: string;
  productId: string;
  /** The product's name. */
  name: string;
  /** "Red / M"; the product's name for a default variant. */
  title: string;
  sku: string;
  options: { name: string; value: string }[];
  price: { amount: number; currency: string };
  category: string | null;
}

/**
 * Variants by id, and products' variant ids, from the same read the subgraph's `_entities`
 * resolvers use (the product cache, then the store), for a service of this process that would
 * otherwise ask over HTTP (the cart's and the checkout's pricing). A variant of an unknown
 * product, or one its product no longer has, is absent, as `_entities` answers null for it.
 */
export function createVariantLookup(findByIds: (ids: readonly string[]) => Promise<Map<string, Product>>) {
  return {
    async findVariants(variantIds: readonly string[]): Promise<Map<string, VariantSummary>> {
      const found = new Map<string, VariantSummary>();
      if (variantIds.length === 0) return found;
      const products = await findByIds([...new Set(variantIds.map(productIdOfVariant))]);
      for (const id of variantIds) {
        const product = products.get(productIdOfVariant(id));
        const variant = product?.variants.find((v) => v.id === id);
        if (!product || !variant) continue;
        found.set(id, {
          id,
          productId: product.id,
          name: product.name,
          title: variantTitle(product, variant),
          sku: variant.sku,
          options: variant.options.map(({ name, value }) => ({ name, value })),
          price: { amount: variant.price.amount, currency: variant.price.currency },
          category: product.category ?? null,
        });
      }
      return found;
    },
    async variantIdsOf(productIds: readonly string[]): Promise<Map<string, string[]>> {
      const found = new Map<string, string[]>();
      if (productIds.length === 0) return found;
      const products = await findByIds([...new Set(productIds)]);
      for (const id of productIds) {
        const product = products.get(id);
        if (product) found.set(id, product.variants.map((variant) => variant.id));
      }
      return found;
    },
  };
}

export type VariantLookup = ReturnType<typeof createVariantLookup>;
