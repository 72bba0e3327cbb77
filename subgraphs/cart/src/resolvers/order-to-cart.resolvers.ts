import { unauthenticated } from "#kernel";
import { cartOwnerOf } from "../domain/cart-owner.js";
import type { MutationResolvers, OrderAddedToCartResolvers, OrderLineToCartResolvers } from "../generated/resolvers-types.js";

export const addOrderToCart: MutationResolvers["addOrderToCart"] = async (_root, { orderId }, ctx) => {
  // A guest's cart token names a cart, never a customer: guests have no orders to read.
  if (!ctx.identity) throw unauthenticated("Sign in to put an order's items back in your cart");
  const owner = cartOwnerOf(ctx);
  const added = await ctx.service.addOrder(owner, orderId, ctx.orderHistory, ctx.lookups);
  if (added.couponGivenBack !== null) await ctx.pricing.restoreCoupon(added.cart, owner, added.couponGivenBack);
  return added;
};

export const OrderAddedToCart: OrderAddedToCartResolvers = {
  addedUnits: (result) => result.lines.reduce((units, line) => units + line.added, 0),
};

export const OrderLineToCart: OrderLineToCartResolvers = {
  variantId: (result) => result.line.variantId,
  // Null once the catalog no longer sells it, as read for this call (a reference to it would resolve to nothing).
  variant: (result) => (result.outcome === "NO_LONGER_SOLD" ? null : { __typename: "ProductVariant", id: result.line.variantId }),
  name: (result) => result.line.name,
  variantTitle: (result) => result.line.variantTitle,
  ordered: (result) => result.line.quantity,
};
