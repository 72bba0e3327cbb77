import { requireUser } from "#kernel";
import type { MutationResolvers } from "../generated/resolvers-types.js";

export const Mutation: MutationResolvers = {
  addToCart: (_root, { variantId, productId, quantity }, ctx) => ctx.service.add(requireUser(ctx).userId, { variantId, productId }, quantity, ctx.lookups),
  updateCartItem: (_root, { variantId, productId, quantity }, ctx) => ctx.service.update(requireUser(ctx).userId, { variantId, productId }, quantity, ctx.lookups),
  removeFromCart: (_root, { variantId, productId }, ctx) => ctx.service.remove(requireUser(ctx).userId, { variantId, productId }, ctx.lookups),
  acceptCartPrices: (_root, _args, ctx) => ctx.service.acceptPrices(requireUser(ctx).userId, ctx.lookups),
};
