import { rolesOf } from "../domain/user.js";
import { maySeeUser } from "../subgraph-context.js";
import type { AddressResolvers, UserResolvers } from "../generated/resolvers-types.js";

export const User: UserResolvers = {
  // Another subgraph's reference to someone else resolves to null, exactly like an unknown id.
  __resolveReference: (ref, ctx) => (maySeeUser(ctx, ref.id) ? ctx.userById.load(ref.id) : null),
  emailVerified: (user) => user.emailVerifiedAt !== null,
  roles: (user) => rolesOf(user).map((role) => (role === "admin" ? "ADMIN" : "CUSTOMER")),
  addresses: (user, _args, ctx) => ctx.addressesOf.load(user.id),
  defaultAddress: async (user, _args, ctx) => (await ctx.addressesOf.load(user.id)).find((a) => a.isDefault) ?? null,
  createdAt: (user) => user.createdAt.toISOString(),
};

export const Address: AddressResolvers = {
  createdAt: (address) => address.createdAt.toISOString(),
  updatedAt: (address) => address.updatedAt.toISOString(),
};
