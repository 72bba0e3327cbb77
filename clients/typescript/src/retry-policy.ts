import type { OperationTypeNode } from "graphql";

/** How often and how long the client tries an operation again after a transient failure. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the first retry; doubled each time, with jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A rate limit asking to wait longer than this is surfaced at once instead of waited out. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 3_000, maxRetryAfterMs: 5_000 };

/**
 * Mutations that may run twice with the same variables and still take effect once, with the
 * same answer. Checkout, RefundOrder and RequestReturn are keyed by `idempotencyKey`: a retry
 * sends the SAME key and gets the same order, refund or return back. Approving or rejecting a return again returns it
 * as it is and changes nothing (the schema promises both), and so does cancelling an order
 * already cancelled, and marking an order shipped or delivered that is so already (ShipOrder,
 * DeliverOrder); attaching an upload already attached keeps one image (AttachProductImage).
 * Putting an order's items back in the cart (AddOrderToCart) raises each line
 * to the order's quantity, so a second run finds them there and adds nothing. What is created
 * under a natural key is answered again, not made twice: an address that reads as one the
 * customer keeps (AddAddress), a coupon's code with the same terms (CreateCoupon), a tax rate's
 * country, region and category (SetTaxRate, which sets the same rate again). Refreshing a
 * session (RefreshSession) with a refresh token presented again within 30 s of its use
 * (REFRESH_REPLAY_SECONDS) is answered with the same successor, and every retry of this policy
 * comes within that: a lost answer retried keeps the session where it ended it before. Logging
 * out (LogOut) with a token of a session ended already answers true again, as the first try did.
 * Signing up (SignUp) again with the email and password of an account the first try made a
 * moment ago (within 10 minutes) signs that account in rather than answering CONFLICT, and a
 * verification link's token sent again (VerifyEmail) answers true again within its lifetime,
 * as a reset link's does with the password it set (ResetPassword).
 */
export const IDEMPOTENT_MUTATIONS: ReadonlySet<string> = new Set(["Checkout", "RefundOrder", "RequestReturn", "ApproveReturn", "RejectReturn", "CancelOrder", "AddOrderToCart", "ShipOrder", "DeliverOrder", "AttachProductImage", "AddAddress", "CreateCoupon", "SetTaxRate", "RefreshSession", "LogOut", "SignUp", "VerifyEmail", "ResetPassword"]);

/**
 * Mutations that are safe to send again only under an `idempotencyKey`: without one, a lost
 * answer retried would add the units twice (AddToCart), remove a line another tab put back
 * (RemoveFromCart), undo another tab's edit (UpdateCartItem), put back a coupon another tab
 * took off or replaced (ApplyCoupon, RemoveCoupon), accept prices that moved after the shopper
 * agreed to them (AcceptCartPrices) or create a second shipping method (CreateShippingMethod,
 * which has no natural key: two methods may share every term). With one, the change is made
 * once and a repeat answers it as it is.
 */
export const KEYED_MUTATIONS: ReadonlySet<string> = new Set(["AddToCart", "UpdateCartItem", "RemoveFromCart", "AcceptCartPrices", "ApplyCoupon", "RemoveCoupon", "CreateShippingMethod"]);

/** Queries read only; of the mutations, only the idempotent ones, and keyed ones sent with a key. Subscriptions reconnect instead. */
export function isSafeToRetry(operation: OperationTypeNode | "query" | "mutation" | "subscription", operationName: string | undefined, variables?: unknown): boolean {
  if (operation === "query") return true;
  if (operation !== "mutation" || operationName === undefined) return false;
  if (IDEMPOTENT_MUTATIONS.has(operationName)) return true;
  const key = (variables as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;
  return KEYED_MUTATIONS.has(operationName) && typeof key === "string" && key.length > 0;
}

/** Answers that say "try again": no answer at all, the gateway or a proxy overloaded or failing. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Exponential backoff with full jitter, so many clients that failed together do not return together. */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
