import { requireAdmin } from "#kernel";
import type { MutationResolvers } from "../generated/resolvers-types.js";

export const Mutation: MutationResolvers = {
  createProduct: (_root, { input, idempotencyKey }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.create({ ...input, currency: input.currency ?? "USD" }, idempotencyKey ?? null);
  },
  updateProduct: (_root, { id, input }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.update(id, input);
  },
  deleteProduct: (_root, { id }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.remove(id);
  },
  addProductVariant: (_root, { productId, input }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.addVariant(productId, input);
  },
  updateProductVariant: (_root, { id, input }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.updateVariant(id, input);
  },
  removeProductVariant: (_root, { id }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.removeVariant(id);
  },
};
