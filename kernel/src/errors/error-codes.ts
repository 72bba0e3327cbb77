/**
 * The one set of error codes clients can rely on, carried in `extensions.code`.
 * Add codes with intention: clients branch on them.
 */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  OUT_OF_STOCK: "OUT_OF_STOCK",
  QUANTITY_LIMIT_EXCEEDED: "QUANTITY_LIMIT_EXCEEDED",
  /** A late payment found its stock hold expired and the stock could not be reserved again. */
  RESERVATION_EXPIRED: "RESERVATION_EXPIRED",
  PRICE_CHANGED: "PRICE_CHANGED",
  /** A product with options was named where one of its variants is needed (extensions.productId). */
  VARIANT_REQUIRED: "VARIANT_REQUIRED",
  CART_EMPTY: "CART_EMPTY",
  /** The cart changed while a checkout placed it (a line it priced is gone or differs); nothing was charged. */
  CART_CHANGED: "CART_CHANGED",
  IDEMPOTENCY_CONFLICT: "IDEMPOTENCY_CONFLICT",
  /** A coupon that does not apply (extensions.reason says why: EXPIRED, USAGE_LIMIT_REACHED...). */
  COUPON_INVALID: "COUPON_INVALID",
  /**
   * A saved address no longer passes the address rules (a region stored before regions were
   * checked): extensions.addressId and field name it; fix it with updateAddress and try again.
   */
  ADDRESS_NEEDS_UPDATE: "ADDRESS_NEEDS_UPDATE",
  /** The shipping method does not ship to the address's country or in the cart's currency. */
  SHIPPING_UNAVAILABLE: "SHIPPING_UNAVAILABLE",
  ILLEGAL_TRANSITION: "ILLEGAL_TRANSITION",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  /** A refund asked for more than the captured amount minus what is already refunded (extensions.refundable). */
  REFUND_LIMIT_EXCEEDED: "REFUND_LIMIT_EXCEEDED",
  /** A return asked for after the return window closed (extensions.closedAt). */
  RETURN_WINDOW_CLOSED: "RETURN_WINDOW_CLOSED",
  RATE_LIMITED: "RATE_LIMITED",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  OPERATION_NOT_ALLOWED: "OPERATION_NOT_ALLOWED",
  CONFLICT: "CONFLICT",
  /** A one-time token (password reset, email verification) that is unknown, used or expired: one answer for all three. */
  INVALID_TOKEN: "INVALID_TOKEN",
  /**
   * A page cursor from an earlier version whose order this one no longer pages in (a ranking
   * changed): start again without `after`. A malformed cursor is BAD_USER_INPUT.
   */
  CURSOR_OUTDATED: "CURSOR_OUTDATED",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const known = new Set<string>(Object.values(ErrorCode));

/** Apollo and graphql-js codes that are safe to pass through to clients unchanged. */
export const LIBRARY_ERROR_CODES: ReadonlySet<string> = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
]);

export function isPublicErrorCode(code: unknown): code is string {
  return typeof code === "string" && (known.has(code) || LIBRARY_ERROR_CODES.has(code));
}
