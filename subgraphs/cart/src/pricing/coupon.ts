import { DomainError, ErrorCode } from "#kernel";
import type { Coupon } from "./pricing-types.js";

/** Why a coupon does not apply; clients branch on it (extensions.reason of COUPON_INVALID). */
export type CouponProblem =
  | "UNKNOWN"
  | "INACTIVE"
  | "NOT_STARTED"
  | "EXPIRED"
  | "USAGE_LIMIT_REACHED"
  | "CUSTOMER_LIMIT_REACHED"
  | "CURRENCY_MISMATCH"
  | "MINIMUM_NOT_MET";

const MESSAGES: Record<CouponProblem, string> = {
  UNKNOWN: "There is no such coupon",
  INACTIVE: "This coupon is not active",
  NOT_STARTED: "This coupon is not valid yet",
  EXPIRED: "This coupon has expired",
  USAGE_LIMIT_REACHED: "This coupon has been used up",
  CUSTOMER_LIMIT_REACHED: "You have already used this coupon as often as it allows",
  CURRENCY_MISMATCH: "This coupon is for another currency than your cart's",
  MINIMUM_NOT_MET: "Your cart's subtotal is below this coupon's minimum",
};

/**
 * The reason a code typed by a customer (not the one their cart already holds) is told: one
 * not started yet or switched off reads as one that does not exist, or guessing codes
 * ("BLACKFRIDAY50") would find the store's promotions before their launch.
 */
export function asTypedCodeSees(problem: CouponProblem | null): CouponProblem | null {
  return problem === "NOT_STARTED" || problem === "INACTIVE" ? "UNKNOWN" : problem;
}

export const COUPON_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,39}$/;

/** Codes compare without letter case or surrounding spaces; null when it cannot be a code. */
export function normaliseCouponCode(code: string): string | null {
  const normal = code.trim().toUpperCase();
  return COUPON_CODE_PATTERN.test(normal) ? normal : null;
}

export function couponInvalid(reason: CouponProblem, code: string | null): DomainError {
  return new DomainError(ErrorCode.COUPON_INVALID, MESSAGES[reason], { reason, ...(code !== null && { couponCode: code }) });
}

/**
 * Whether the coupon applies to a cart now, short of the database's final word: checkout's
 * orders_place re-checks activity, window, usage and per-customer limits under the coupon's
 * row lock. `usedByCustomer` counts the customer's live redemptions.
 */
export function couponProblem(coupon: Coupon, cart: { currency: string; subtotal: number; now: Date; usedByCustomer: number }): CouponProblem | null {
  if (!coupon.active) return "INACTIVE";
  if (coupon.startsAt && cart.now < coupon.startsAt) return "NOT_STARTED";
  if (coupon.endsAt && cart.now >= coupon.endsAt) return "EXPIRED";
  if (coupon.usageLimit !== null && coupon.redeemedCount >= coupon.usageLimit) return "USAGE_LIMIT_REACHED";
  if (coupon.perCustomerLimit !== null && cart.usedByCustomer >= coupon.perCustomerLimit) return "CUSTOMER_LIMIT_REACHED";
  if (coupon.currency !== null && coupon.currency !== cart.currency) return "CURRENCY_MISMATCH";
  if (cart.subtotal < coupon.minSubtotalAmount) return "MINIMUM_NOT_MET";
  return null;
}
