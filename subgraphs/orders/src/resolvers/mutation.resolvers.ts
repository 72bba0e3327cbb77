import { requireUser } from "#kernel";
import type { MutationResolvers } from "../generated/resolvers-types.js";

export const Mutation: MutationResolvers = {
  checkout: (_root, args, ctx) => ctx.checkout.checkout(requireUser(ctx).userId, args, ctx.logger),
  cancelOrder: (_root, { id }, ctx) => ctx.orders.cancel(ctx, id),
  shipOrder: (_root, { id }, ctx) => ctx.orders.ship(ctx, id),
  deliverOrder: (_root, { id }, ctx) => ctx.orders.deliver(ctx, id),
  refundOrder: (_root, { id, amount, reason, idempotencyKey }, ctx) => ctx.afterSale.refundOrder(ctx, id, { amount, reason, idempotencyKey }),
  requestReturn: (_root, { orderId, items, reason, idempotencyKey }, ctx) => ctx.afterSale.requestReturn(ctx, orderId, items, reason, idempotencyKey ?? null),
  approveReturn: (_root, { id }, ctx) => ctx.afterSale.approveReturn(ctx, id),
  rejectReturn: (_root, { id, reason }, ctx) => ctx.afterSale.rejectReturn(ctx, id, reason),
};
