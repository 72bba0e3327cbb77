import type { ProductVariantResolvers } from "../generated/resolvers-types.js";

export const ProductVariant: ProductVariantResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  stock: (variant, _args, ctx) => ctx.availability.load(variant.id),
  inStock: async (variant, _args, ctx) => (await ctx.availability.load(variant.id)) > 0,
};
