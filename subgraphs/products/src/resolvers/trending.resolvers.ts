import type { MutationResolvers, QueryResolvers } from "../generated/resolvers-types.js";
import type { Product } from "../domain/product.js";

export const TrendingQuery: QueryResolvers = {
  trendingProducts: async (_root, { window, categorySlug, first }, ctx) => {
    const count = first ?? 10;
    const ids = await ctx.trending.top(window, categorySlug, count);
    // Hydrated through the request's loader: one batched (cached) catalog read for the page.
    const products = await ctx.productById.loadMany(ids);
    const failed = products.find((product) => product instanceof Error);
    if (failed) throw failed;
    // A product removed since its views were counted is null here, and left out.
    return products.filter((product): product is Product => product !== null && !(product instanceof Error)).slice(0, count);
  },
};

export const TrendingMutation: MutationResolvers = {
  recordProductView: (_root, { productId }, ctx) => ctx.views.record(productId, ctx),
};
