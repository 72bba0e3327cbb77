import { requireUser } from "#kernel";
import type { QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  cart: (_root, _args, ctx) => ctx.service.view(requireUser(ctx).userId, ctx.lookups),
};
