import { StorefrontError } from "../../../clients/typescript/src/index.js";

/**
 * Refusals after which a checkout's idempotency key names another cart than the one the page
 * now shows: the cart changed while the order was being placed (CART_CHANGED: nothing was
 * placed, but the key's stock hold was taken for the cart as it was), or the key is already bound
 * to another cart (IDEMPOTENCY_CONFLICT). The server answers every later try of that key with
 * IDEMPOTENCY_CONFLICT, and both messages ask for a new key, so the page makes one: its next
 * "Place order" is a new checkout of the cart as shown, bounded by the total shown. A new key
 * can never order the same lines twice: an order takes its lines out of the cart.
 * Any other refusal or failure keeps the key, so a retry after a lost answer gets its order.
 */
const KEY_SPENT: ReadonlySet<string> = new Set(["CART_CHANGED", "IDEMPOTENCY_CONFLICT"]);

export const checkoutKeySpent = (error: StorefrontError | undefined): boolean => error !== undefined && KEY_SPENT.has(error.code);

/** The refusal as a shopper can act on it: the server's IDEMPOTENCY_CONFLICT speaks of keys, which the page renews itself. */
export function checkoutErrorShown(error: StorefrontError | undefined): StorefrontError | undefined {
  if (error?.code !== "IDEMPOTENCY_CONFLICT") return error;
  return new StorefrontError(error.code, "Your cart is not the one this order was started with. Nothing more was charged: check the total and place the order again.", error.details);
}
