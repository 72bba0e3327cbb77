import type { OrderConnectionResolvers, QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  order: (_root, { id }, ctx) => ctx.orderById.load(id),
  orders: (_root, args, ctx) => ctx.orders.list(ctx, args),
};

export const OrderConnection: OrderConnectionResolvers = {
  pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
  totalCount: (page) => page.totalCount(),
};
