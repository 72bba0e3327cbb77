import { cartOwnerOf } from "../domain/cart-owner.js";
import type { MutationResolvers } from "../generated/resolvers-types.js";
import { createGuestCart, mergeGuestCart } from "./guest-cart.resolvers.js";
import { addOrderToCart } from "./order-to-cart.resolvers.js";

export const Mutation: MutationResolvers = {
  addToCart: (_root, { variantId, productId, quantity, idempotencyKey }, ctx) => ctx.service.add(cartOwnerOf(ctx), { variantId, productId }, quantity, ctx.lookups, idempotencyKey),
  updateCartItem: (_root, { variantId, productId, quantity, idempotencyKey }, ctx) =>
    ctx.service.update(cartOwnerOf(ctx), { variantId, productId }, quantity, ctx.lookups, idempotencyKey),
  removeFromCart: (_root, { variantId, productId, idempotencyKey }, ctx) => ctx.service.remove(cartOwnerOf(ctx), { variantId, productId }, ctx.lookups, idempotencyKey),
  acceptCartPrices: (_root, { idempotencyKey }, ctx) => ctx.service.acceptPrices(cartOwnerOf(ctx), ctx.lookups, idempotencyKey),
  addOrderToCart,
  createGuestCart,
  mergeGuestCart,
};
