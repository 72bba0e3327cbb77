import type { PaymentResolvers } from "../generated/resolvers-types.js";

export const Payment: PaymentResolvers = {
  createdAt: (payment) => payment.createdAt.toISOString(),
  updatedAt: (payment) => payment.updatedAt.toISOString(),
  refundedAt: (payment) => payment.refundedAt?.toISOString() ?? null,
};
