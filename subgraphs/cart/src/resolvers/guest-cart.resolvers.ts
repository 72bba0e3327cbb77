import { badInput, forbidden, guestCartIdOf, isGuestCartId } from "#kernel";
import { priceCart } from "../domain/cart.js";
import { guestCartOwner, isGuestOwner } from "../domain/cart-owner.js";
import type { MutationResolvers } from "../generated/resolvers-types.js";

export const createGuestCart: MutationResolvers["createGuestCart"] = (_root, _args, ctx) => {
  const token = ctx.issueGuestCartToken();
  // Nothing is written: the cart row appears with its first line, so minting tokens costs
  // the store nothing.
  const cart = priceCart({ userId: guestCartOwner(guestCartIdOf(token)), updatedAt: null, lastOrderId: null, lines: [] }, new Map());
  return { token, cart };
};

export const mergeGuestCart: MutationResolvers["mergeGuestCart"] = async (_root, { guestCartId, customerId }, ctx) => {
  if (!ctx.identity?.roles.includes("service")) throw forbidden("Only the store's services merge guest carts");
  if (!isGuestCartId(guestCartId)) throw badInput("guestCartId is not a guest cart id", { field: "guestCartId" });
  if (customerId.length === 0 || customerId.length > 200 || isGuestOwner(customerId)) throw badInput("customerId is not a customer id", { field: "customerId" });
  const plan = await ctx.service.mergeGuest(guestCartId, customerId, ctx.lookups);
  return { mergedUnits: plan?.mergedUnits ?? 0, droppedUnits: plan?.droppedUnits ?? 0 };
};
