import { cartOwnerOf } from "../domain/cart-owner.js";
import type { MutationResolvers } from "../generated/resolvers-types.js";
import { createGuestCart, mergeGuestCart } from "./guest-cart.resolvers.js";
import { addOrderToCart } from "./order-to-cart.resolvers.js";

export const Mutation: MutationResolvers = {
  addToCart: (_root, { variantId, productId, quantity }, ctx) => ctx.service.add(cartOwnerOf(ctx), { variantId, productId }, quantity, ctx.lookups),
  updateCartItem: (_root, { variantId, productId, quantity }, ctx) => ctx.service.update(cartOwnerOf(ctx), { variantId, productId }, quantity, ctx.lookups),
  removeFromCart: (_root, { variantId, productId }, ctx) => ctx.service.remove(cartOwnerOf(ctx), { variantId, productId }, ctx.lookups),
  acceptCartPrices: (_root, _args, ctx) => ctx.service.acceptPrices(cartOwnerOf(ctx), ctx.lookups),
  addOrderToCart,
  createGuestCart,
  mergeGuestCart,
};
