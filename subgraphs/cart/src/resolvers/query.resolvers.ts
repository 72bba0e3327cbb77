import { cartOwnerOf } from "../domain/cart-owner.js";
import type { QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  cart: (_root, _args, ctx) => ctx.service.view(cartOwnerOf(ctx), ctx.lookups),
};
