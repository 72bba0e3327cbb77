/**
 * Test payment-method tokens, as real providers offer them (Stripe's `pm_card_visa`,
 * `pm_card_chargeDeclined`...): the token a checkout passes decides how the charge goes, so a
 * storefront can exercise every path without scripting the simulator.
 */
export const TEST_PAYMENT_METHODS = {
  /** The charge succeeds (also what a charge without a payment method does). */
  ok: "pm_card_ok",
  /** The issuer declines the charge (402, decline_code generic_decline); a retry gets the same answer. */
  declined: "pm_card_declined",
  /** Declined for lack of funds (402, decline_code insufficient_funds). */
  insufficientFunds: "pm_card_insufficient_funds",
  /**
   * The provider fails transiently (503, nothing executed) for the first
   * TRANSIENT_FAILURES requests under one idempotency key, then the charge succeeds.
   */
  transient: "pm_card_transient",
} as const;

/** How many times `pm_card_transient` fails before it succeeds, per idempotency key. */
export const TRANSIENT_FAILURES = 2;

const KNOWN = new Set<string>(Object.values(TEST_PAYMENT_METHODS));

/** The shape of a payment-method id; what the simulator accepts as a parameter at all. */
export const isPaymentMethodId = (value: unknown): value is string => typeof value === "string" && /^pm_[A-Za-z0-9_]{1,96}$/.test(value);

export type PaymentMethodEffect = { kind: "none" } | { kind: "decline"; declineCode: string } | { kind: "transient" } | { kind: "unknown" };

/** What a charge's payment method does before the scripted and random behaviour applies. */
export function paymentMethodEffect(paymentMethod: string | undefined): PaymentMethodEffect {
  if (paymentMethod === undefined || paymentMethod === TEST_PAYMENT_METHODS.ok) return { kind: "none" };
  if (!KNOWN.has(paymentMethod)) return { kind: "unknown" };
  if (paymentMethod === TEST_PAYMENT_METHODS.declined) return { kind: "decline", declineCode: "generic_decline" };
  if (paymentMethod === TEST_PAYMENT_METHODS.insufficientFunds) return { kind: "decline", declineCode: "insufficient_funds" };
  return { kind: "transient" };
}
