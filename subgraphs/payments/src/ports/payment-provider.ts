import type { Money } from "#kernel";

/**
 * How one provider call ended. `timeout` is told apart from `transient` because it is
 * ambiguous: the provider may have done the work and only the answer was lost, which is why
 * every retry reuses the same idempotency key.
 */
export type ProviderOutcome =
  | { kind: "succeeded"; ref: string }
  | { kind: "declined"; reason: string }
  /**
   * Worth retrying. `mayHaveCharged`: the request may have reached the provider and been done
   * (a connection lost after sending, a 5xx, a key still being worked on), so its outcome is in
   * doubt like a timeout's. `stillProcessing`: the provider is working on a request with this
   * key right now (409 idempotency_key_in_use): nothing can be concluded yet, not even from a
   * lookup, which may not see a charge still being made.
   */
  | { kind: "transient"; reason: string; mayHaveCharged?: boolean; stillProcessing?: boolean }
  | { kind: "timeout"; reason: string }
  /**
   * Refused as a request. `keyReused`: the provider already holds another request under this
   * idempotency key, so what happened to the money is not known from this answer.
   */
  | { kind: "rejected"; reason: string; keyReused?: boolean };

export interface ChargeRequest {
  idempotencyKey: string;
  amount: Money;
  customerId: string;
  paymentId: string;
  orderId: string;
  /**
   * The provider's payment-method token to charge (e.g. a test token such as pm_card_ok);
   * absent: the provider's default (the simulator succeeds). Absent, not defaulted, so a
   * charge first sent without one is retried with the very same request.
   */
  paymentMethod?: string;
}

export interface RefundRequest {
  idempotencyKey: string;
  /** The provider's reference of the captured charge. */
  chargeRef: string;
  amount: Money;
}

/** What the provider knows of a payment's charges, asked when a timeout left it in doubt. */
export type ChargeLookup = { kind: "captured"; ref: string } | { kind: "none" } | { kind: "unknown"; reason: string };

/**
 * The payment provider role. Guarantees every adapter keeps:
 * - one idempotency key charges (or refunds) at most once, however often it is sent;
 * - a call never throws for the provider's or the network's failures: it ends in an
 *   outcome, and only `transient` and `timeout` are worth retrying;
 * - a call gives up after the adapter's timeout (or when `signal` aborts) with `timeout`.
 */
export interface PaymentProvider {
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ProviderOutcome>;
  refund(request: RefundRequest, signal?: AbortSignal): Promise<ProviderOutcome>;
  /** Whether the provider captured a charge for this payment (`unknown` when it cannot say). */
  findCharge(paymentId: string, signal?: AbortSignal): Promise<ChargeLookup>;
  close(): Promise<void>;
}
