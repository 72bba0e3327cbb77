import type { Money } from "#kernel";
import type { CartLine, StoredCart } from "../domain/cart.js";

/**
 * The relational role for carts. Guarantees:
 * - a cart persists per user until its lines are removed (it survives restarts);
 * - `changeLine` runs its decision with the user's cart locked, so two concurrent changes of
 *   one cart apply one after the other and never lose an update.
 */
export interface CartStore {
  find(userId: string): Promise<StoredCart>;
  /**
   * Locks the cart, gives `decide` the current line of the variant (undefined when absent)
   * and stores what it returns: a line, or null to remove it. `decide` may throw to refuse.
   */
  changeLine(userId: string, variantId: string, decide: (current: CartLine | undefined, cart: StoredCart) => CartLine | null): Promise<StoredCart>;
  /** Sets the accepted price of each listed variant's line to the given price. */
  acceptPrices(userId: string, prices: ReadonlyMap<string, Money>): Promise<StoredCart>;
}
