import { requireUser } from "#kernel";
import type { MutationResolvers } from "../generated/resolvers-types.js";
import { mergeGuestCart } from "./merge-guest-cart.js";

export const Mutation: MutationResolvers = {
  signUp: async (_root, { input }, ctx) => mergeGuestCart(ctx, await ctx.accounts.signUp(input, ctx.clientAddress)),
  logIn: async (_root, { email, password, deviceProof }, ctx) => mergeGuestCart(ctx, await ctx.accounts.logIn(email, password, ctx.clientAddress, deviceProof)),
  refreshToken: (_root, { refreshToken }, ctx) => ctx.accounts.refresh(refreshToken),
  logOut: (_root, { refreshToken }, ctx) => ctx.accounts.logOut(refreshToken),
  addAddress: (_root, { input }, ctx) => ctx.addresses.add(requireUser(ctx).userId, input),
  updateAddress: (_root, { id, input }, ctx) => ctx.addresses.update(requireUser(ctx).userId, id, input),
  removeAddress: (_root, { id }, ctx) => ctx.addresses.remove(requireUser(ctx).userId, id),
  setDefaultAddress: (_root, { id }, ctx) => ctx.addresses.setDefault(requireUser(ctx).userId, id),
  requestPasswordReset: (_root, { email }, ctx) => ctx.mail.requestPasswordReset(email, ctx.clientAddress),
  resetPassword: (_root, { token, newPassword }, ctx) => ctx.mail.resetPassword(token, newPassword, ctx.clientAddress),
  verifyEmail: (_root, { token }, ctx) => ctx.mail.verifyEmail(token),
  resendVerificationEmail: (_root, _args, ctx) => ctx.mail.resendVerification(requireUser(ctx).userId, ctx.clientAddress),
};
