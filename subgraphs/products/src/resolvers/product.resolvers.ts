import { priceRange } from "../domain/product-variants.js";
import type { ProductResolvers } from "../generated/resolvers-types.js";

export const Product: ProductResolvers = {
  __resolveReference: (ref, ctx) => ctx.productById.load(ref.id),
  images: (product) => product.images,
  variants: (product) => product.variants.map((variant) => ({ ...variant, product })),
  priceRange: (product) => priceRange(product),
  attributes: (product) => Object.entries(product.attributes).map(([name, value]) => ({ name, value })),
  createdAt: (product) => product.createdAt.toISOString(),
  updatedAt: (product) => product.updatedAt.toISOString(),
  popularity: (product) => product.popularity ?? 0,
};
