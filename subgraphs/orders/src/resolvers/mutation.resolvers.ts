import { requireUser } from "#kernel";
import type { MutationResolvers } from "../generated/resolvers-types.js";

export const Mutation: MutationResolvers = {
  checkout: (_root, { idempotencyKey }, ctx) => ctx.checkout.checkout(requireUser(ctx).userId, idempotencyKey, ctx.logger),
  cancelOrder: (_root, { id }, ctx) => ctx.orders.cancel(ctx, id),
  shipOrder: (_root, { id }, ctx) => ctx.orders.ship(ctx, id),
  deliverOrder: (_root, { id }, ctx) => ctx.orders.deliver(ctx, id),
};
