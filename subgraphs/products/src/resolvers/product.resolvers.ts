import type { ProductResolvers } from "../generated/resolvers-types.js";

export const Product: ProductResolvers = {
  __resolveReference: (ref, ctx) => ctx.productById.load(ref.id),
  attributes: (product) => Object.entries(product.attributes).map(([name, value]) => ({ name, value })),
  createdAt: (product) => product.createdAt.toISOString(),
  updatedAt: (product) => product.updatedAt.toISOString(),
};
