import { requireAdmin } from "#kernel";
import type { MutationResolvers } from "../generated/resolvers-types.js";
import { requireService } from "./require-service.js";

export const Mutation: MutationResolvers = {
  restock: (_root, { variantId, productId, quantity, idempotencyKey }, ctx) => {
    requireAdmin(ctx);
    return ctx.service.restock({ variantId, productId }, quantity, idempotencyKey);
  },
  reserveStock: (_root, { reservationId, items }, ctx) => {
    requireService(ctx);
    return ctx.service.reserve(reservationId, items);
  },
  commitReservation: (_root, { reservationId }, ctx) => {
    requireService(ctx);
    return ctx.service.commit(reservationId);
  },
  releaseReservation: (_root, { reservationId, ifExpiresAt, ifIdleForMs, leaving }, ctx) => {
    requireService(ctx);
    return ctx.service.release(reservationId, { ifExpiresAt: ifExpiresAt == null ? null : new Date(ifExpiresAt), ifIdleForMs, leaving });
  },
  returnStock: (_root, { returnId, items }, ctx) => {
    requireService(ctx);
    return ctx.service.returnStock(returnId, items);
  },
};
