import type { CheckoutCart as CartAccess, StoredCart } from "../../../cart/src/index.js";
import type { CheckoutCart } from "../ports/checkout-cart.js";
import { orderOfKeyStatement, orderOfRow } from "./prisma-order.store.js";

/**
 * The cart package's checkout access, able to read the cart and the order a key placed in one
 * round trip: the cart's statement (the cart's code) then the order's (this subgraph's), sent
 * together, and the checkout's pricing read (the cart's code) third when asked. A flash sale's
 * loser is refused on the first two reads; sent apart they were two writes to PostgreSQL and
 * two wake-ups of its backend, a fifth of the orders side's CPU for a refusal.
 */
export function withOrderOfKey(cart: CartAccess): CartAccess & Required<Pick<CheckoutCart<StoredCart>, "readWithOrderOfKey">> {
  return {
    ...cart,
    async readWithOrderOfKey(userId, idempotencyKey, quoting) {
      const { cart: contents, alongside, quote } = await cart.readAlong(userId, orderOfKeyStatement(userId, idempotencyKey), quoting);
      return { contents, placed: alongside[0] ? orderOfRow(alongside[0]) : null, ...(quote && { quote }) };
    },
  };
}
