import { DomainError, ErrorCode, requestFingerprint, validIdempotencyKey } from "#kernel";

/**
 * An idempotency key a cart mutation was sent with, and the fingerprint of what it asked.
 * A cart mutation retried after its answer was lost (a flaky network, a gateway restart, the
 * typed client's own retry) must change the cart once: addToCart would add its units twice,
 * removeFromCart would remove a line another tab put back since, updateCartItem would undo
 * another tab's edit made since, acceptCartPrices would accept prices that moved since.
 * Under a key the store records the key with the change, under the cart's lock, and a
 * repeat changes nothing and answers the cart as it is now.
 */
export interface CartMutationKey {
  key: string;
  fingerprint: string;
}

/** How long a key is kept: far past any retry of a lost answer, short enough to prune. */
export const CART_MUTATION_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How many keys a cart keeps at most, its newest (older ones are pruned with each change): a
 * day's keys are otherwise bounded only by the gateway's mutation budgets, thousands of rows a
 * cart. A retry comes seconds after its change, not a hundred changes later.
 */
export const CART_MUTATION_KEYS_KEPT = 100;

export type CartMutationKind = "addToCart" | "updateCartItem" | "removeFromCart" | "acceptCartPrices" | "applyCoupon" | "removeCoupon";

/**
 * The key of a request as sent (the variant or product it names, the quantity): a key
 * reused for another mutation, another line or another quantity is another request.
 */
export function cartMutationKey(kind: CartMutationKind, idempotencyKey: string | null | undefined, request: Record<string, unknown>): CartMutationKey | undefined {
  if (idempotencyKey == null) return undefined;
  return { key: validIdempotencyKey(idempotencyKey), fingerprint: requestFingerprint(`cart.${kind}`, request) };
}

/**
 * Judges a key the cart already recorded: the same request is a repeat (true: change
 * nothing), another one is IDEMPOTENCY_CONFLICT. No record: a first call (false).
 */
export function isRepeat(sent: CartMutationKey, recordedFingerprint: string | undefined): boolean {
  if (recordedFingerprint === undefined) return false;
  if (recordedFingerprint === sent.fingerprint) return true;
  throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Idempotency key ${sent.key} already changed this cart with another request; use a new key for a new change`, {
    field: "idempotencyKey",
  });
}
