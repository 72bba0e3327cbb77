import type { CheckoutCart as CartAccess, StoredCart } from "../../../cart/src/index.js";
import type { CheckoutCart } from "../ports/checkout-cart.js";
import { orderOfKeyStatement, orderOfRow } from "./prisma-order.store.js";

/**
 * The cart package's checkout access, able to read the cart and the order a key placed in one
 * round trip: the cart's statement (the cart's code) then the order's (this subgraph's), sent
 * together. A flash sale's loser is refused on these two reads; sent apart they were two writes
 * to PostgreSQL and two wake-ups of its backend, a fifth of the orders side's CPU for a refusal.
 */
export function withOrderOfKey(cart: CartAccess): CartAccess & Required<Pick<CheckoutCart<StoredCart>, "readWithOrderOfKey">> {
  return {
    ...cart,
    async readWithOrderOfKey(userId, idempotencyKey) {
      const { cart: contents, alongside } = await cart.readAlong(userId, orderOfKeyStatement(userId, idempotencyKey));
      return { contents, placed: alongside[0] ? orderOfRow(alongside[0]) : null };
    },
  };
}
