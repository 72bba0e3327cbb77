import type { ProductResolvers } from "../generated/resolvers-types.js";

export const Product: ProductResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  stock: (product, _args, ctx) => ctx.availability.load(product.id),
  inStock: async (product, _args, ctx) => (await ctx.availability.load(product.id)) > 0,
};
