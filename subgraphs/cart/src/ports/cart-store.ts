import type { Money } from "#kernel";
import type { CartLine, StoredCart } from "../domain/cart.js";
import type { MergePlan } from "../domain/guest-cart-merge.js";
import type { CartMutationKey } from "../domain/cart-mutation-key.js";

/**
 * The relational role for carts, keyed by owner (a user id, or a guest key: cart-owner.ts).
 * Guarantees:
 * - a cart persists per owner until its lines are removed (it survives restarts); a guest's
 *   cart until `deleteIdleGuestCarts` finds it idle or a merge takes it;
 * - `changeLine` runs its decision with the user's cart locked, so two concurrent changes of
 *   one cart apply one after the other and never lose an update;
 * - a cart keeps the keys of its keyed changes a day, and at most CART_MUTATION_KEYS_KEPT of
 *   them (its newest), pruned in the transaction that records one.
 */
export interface CartStore {
  find(userId: string): Promise<StoredCart>;
  /**
   * Locks the cart, gives `decide` the current line of the variant (undefined when absent)
   * and stores what it returns: a line, or null to remove it. `decide` may throw to refuse.
   */
  changeLine(userId: string, variantId: string, decide: (current: CartLine | undefined, cart: StoredCart) => CartLine | null, key?: CartMutationKey): Promise<StoredCart>;
  /**
   * Locks the cart, gives `decide` the cart and writes the lines its decision lists (each
   * replacing its variant's line, or a new one), all in one transaction; `decide` may throw to
   * refuse. The cart counts as changed only when a line is written, so a decision to write
   * nothing (a repeat) leaves it exactly as it was. With `putBackOf` (an order whose items go
   * back once), `decide` is told whether this cart put that order's items back before, and a
   * decision that writes lines records that it did, in the same transaction: of racing calls,
   * and after a crash, either the lines and the record are there or neither is.
   */
  putLines<T extends { lines: CartLine[] }>(userId: string, decide: (cart: StoredCart, putBackBefore: boolean) => T, putBackOf?: string): Promise<{ decision: T; cart: StoredCart }>;
  /** The fingerprint recorded with a cart mutation's key, if this cart recorded the key. */
  recordedKey(userId: string, key: string): Promise<string | undefined>;
  /**
   * Sets the accepted price of each listed variant's line to the given price. `allow` sees the
   * cart locked, before anything is written, and may throw to refuse (nothing is written).
   */
  acceptPrices(userId: string, prices: ReadonlyMap<string, Money>, allow?: (cart: StoredCart) => void, key?: CartMutationKey): Promise<StoredCart>;
  /**
   * Locks the cart and sets its coupon (null takes it off), under an optional key as
   * `changeLine`. `allow` sees the cart locked, before anything is written, and may throw to
   * refuse. Setting the coupon the cart holds writes only the key.
   */
  setCoupon(userId: string, code: string | null, allow: (cart: StoredCart) => void, key?: CartMutationKey): Promise<StoredCart>;
  /**
   * Moves a guest cart into a customer's cart in one transaction: locks the guest cart, then
   * the customer's (always in that order, so merges never deadlock each other), writes the
   * lines `plan` returns, moves the guest's change keys to the customer's cart (a key the
   * customer recorded already stays theirs) and deletes the guest cart with all its lines. A merge that finds the
   * guest cart gone (merged or swept already) changes nothing and returns null, so a repeated
   * or concurrent merge of one token adds its lines once.
   */
  mergeGuestCart(guestOwner: string, customerOwner: string, plan: (guest: StoredCart, customer: StoredCart) => MergePlan): Promise<{ plan: MergePlan; cart: StoredCart } | null>;
  /** Deletes up to `limit` guest carts unchanged since `before`, skipping carts in use; returns how many. */
  deleteIdleGuestCarts(before: Date, limit: number): Promise<number>;
}
