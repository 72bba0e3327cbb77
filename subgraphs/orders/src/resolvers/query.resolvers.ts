import { forbidden, requireUser } from "#kernel";
import type { OrderConnectionResolvers, QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  // Without a sign-in no order is visible: answered null, as a missing one is, a client that
  // forgot its token took the order for gone, where `orders` and the order's subscription say
  // UNAUTHENTICATED.
  order: (_root, { id }, ctx) => {
    requireUser(ctx);
    return ctx.orderById.load(id);
  },
  orders: (_root, args, ctx) => ctx.orders.list(ctx, args),
  customerOrderLines: (_root, { userId, orderId }, ctx) => {
    if (!requireUser(ctx).roles.includes("service")) throw forbidden("Only services may read another customer's order lines");
    return ctx.orders.linesOf(userId, orderId);
  },
  customerOrderCouponGivenBack: (_root, { userId, orderId }, ctx) => {
    if (!requireUser(ctx).roles.includes("service")) throw forbidden("Only services may read another customer's order coupon");
    return ctx.orders.couponGivenBackOf(userId, orderId);
  },
  customerOrderStatus: (_root, { userId, orderId }, ctx) => {
    if (!requireUser(ctx).roles.includes("service")) throw forbidden("Only services may read another customer's order status");
    return ctx.orders.statusOf(userId, orderId);
  },
};

export const OrderConnection: OrderConnectionResolvers = {
  pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
  totalCount: (page) => page.totalCount(),
};
