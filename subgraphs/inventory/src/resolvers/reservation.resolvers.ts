import type { ReservationResolvers } from "../generated/resolvers-types.js";

export const Reservation: ReservationResolvers = {
  expiresAt: (reservation) => reservation.expiresAt.toISOString(),
};
