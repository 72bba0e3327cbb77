import type { RefundResolvers, ReturnItemResolvers, ReturnResolvers } from "../generated/resolvers-types.js";

export const Refund: RefundResolvers = {
  // Through the order loader: only its customer and admins see the order.
  order: (refund, _args, ctx) => ctx.orderById.load(refund.orderId),
  createdAt: (refund) => refund.createdAt.toISOString(),
  refundedAt: (refund) => refund.refundedAt?.toISOString() ?? null,
};

export const Return: ReturnResolvers = {
  order: (ret, _args, ctx) => ctx.orderById.load(ret.orderId),
  refund: async (ret, _args, ctx) => (await ctx.refundsByOrderId.load(ret.orderId)).find((refund) => refund.returnId === ret.id) ?? null,
  createdAt: (ret) => ret.createdAt.toISOString(),
  decidedAt: (ret) => ret.decidedAt?.toISOString() ?? null,
};

export const ReturnItem: ReturnItemResolvers = {
  variant: (item) => ({ __typename: "ProductVariant", id: item.variantId }),
};
