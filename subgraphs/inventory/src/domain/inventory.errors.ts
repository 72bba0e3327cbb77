import { DomainError, ErrorCode, notFound, outOfStock, productIdOfVariant } from "#kernel";
import type { ReservationStatus } from "./stock.js";

// The inventory's expected failures, each with a stable code and the details a client needs
// to react (which variant, how many are left) in `extensions`.

export { outOfStock, variantRequired } from "#kernel";

/**
 * A reservation refused with nothing left of a variant, telling the orders service (the only
 * caller of reserveStock) how many units checkouts hold: with none held the variant is sold
 * out for good (until a restock or a return), while held units may still come back (a payment
 * that fails, a checkout that loses its cart) and a checkout refused now may succeed a moment
 * later. Absent when the inventory cannot say.
 */
export const outOfStockHolding = (variantId: string, available: number, reserved: number | undefined) => {
  const refusal = outOfStock(variantId, available);
  if (reserved !== undefined) refusal.extensions.reserved = reserved;
  return refusal;
};

export const quantityLimitExceeded = (variantId: string, quantity: number, limit: number) =>
  new DomainError(ErrorCode.QUANTITY_LIMIT_EXCEEDED, `At most ${limit} unit(s) of one variant per order (asked ${quantity} of ${variantId})`, {
    productId: productIdOfVariant(variantId),
    variantId,
    quantity,
    limit,
  });

export { variantNotFound as unknownVariant } from "#kernel";

export const unknownProduct = (productId: string) => notFound("Product", productId);


export const unknownReservation = (reservationId: string) => notFound("Reservation", reservationId);

export const reservationExpired = (reservationId: string, variantId: string, available: number) =>
  new DomainError(
    ErrorCode.RESERVATION_EXPIRED,
    `Reservation ${reservationId} expired and its stock could not be reserved again (variant ${variantId} has ${available} unit(s) left)`,
    { reservationId, productId: productIdOfVariant(variantId), variantId, available },
  );

export const illegalTransition = (reservationId: string, from: ReservationStatus, to: ReservationStatus) =>
  new DomainError(ErrorCode.ILLEGAL_TRANSITION, `Reservation ${reservationId} is ${from} and cannot become ${to}`, { reservationId, from, to });

export const reservationConflict = (reservationId: string) =>
  new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Reservation ${reservationId} already exists with other items`, { reservationId });

export const restockConflict = (idempotencyKey: string) =>
  new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Idempotency key ${idempotencyKey} already restocked another variant or quantity; use a new key for a new restock`, { idempotencyKey });
