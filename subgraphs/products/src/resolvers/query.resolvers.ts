import { forbidden } from "#kernel";
import type { ProductConnectionResolvers, QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  product: (_root, { id }, ctx) => ctx.productById.load(id),
  products: (_root, args, ctx) => ctx.listing.list(args),
  catalogPage: (_root, args, ctx) => {
    if (!ctx.identity?.roles.includes("service")) throw forbidden("The catalog scan is for other services only");
    return ctx.service.catalogPage(args);
  },
};

export const ProductConnection: ProductConnectionResolvers = {
  pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
  totalCount: (page) => page.totalCount(),
};
