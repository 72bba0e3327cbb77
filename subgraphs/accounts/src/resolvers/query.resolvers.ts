import { forbidden, requireUser } from "#kernel";
import type { QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  me: (_root, _args, ctx) => (ctx.identity ? ctx.userById.load(ctx.identity.userId) : null),
  defaultAddress: (_root, { userId }, ctx) => {
    if (!requireUser(ctx).roles.includes("service")) throw forbidden("Only services may read another user's default address");
    return ctx.addresses.defaultFor(userId);
  },
  savedAddress: async (_root, { userId, id }, ctx) => {
    if (!requireUser(ctx).roles.includes("service")) throw forbidden("Only services may read another user's addresses");
    return (await ctx.addresses.listFor([userId])).get(userId)?.find((address) => address.id === id) ?? null;
  },
};
