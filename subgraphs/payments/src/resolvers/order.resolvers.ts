import { requireUser } from "#kernel";
import type { OrderResolvers } from "../generated/resolvers-types.js";

export const Order: OrderResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  // The orders subgraph already hides other customers' orders; this holds even when it is
  // bypassed (an `_entities` call), so a payment never leaks on its own.
  payment: async (order, _args, ctx) => ctx.service.visibleTo(await ctx.paymentByOrderId.load(order.id), requireUser(ctx)),
};
