import { badInput, DomainError, ErrorCode, LONGEST_ID, notFound, productIdOfVariant, validVariantTarget, variantNotFound, variantRequired, type Money, type VariantTarget } from "#kernel";
import { checkAcceptedPrices, checkCartValue, checkQuantity, priceCart, type CartLimits, type CatalogVariant, type PricedCart, type StoredCart } from "./cart.js";
import type { CartStore } from "../ports/cart-store.js";
import { planGuestCartMerge, StaleMergeFacts, type MergePlan } from "./guest-cart-merge.js";
import { guestCartOwner } from "./cart-owner.js";
import { planOrderToCart, putBackOnce, type OrderLineToCart } from "./order-to-cart.js";
import type { OrderHistory } from "../ports/order-history.js";
import { cartMutationKey, isRepeat, type CartMutationKey } from "./cart-mutation-key.js";

/** What addOrderToCart answers: the cart after it, and what became of each of the order's lines. */
export interface OrderAddedToCart {
  orderId: string;
  cart: PricedCart;
  lines: OrderLineToCart[];
  /** The order's coupon, when the order gave its use back: the caller puts it back on the cart if it applies. */
  couponGivenBack: string | null;
}

/**
 * Per-request lookups into other subgraphs, batched and cached for the request (DataLoader),
 * so one cart read costs one products call however many lines it has.
 */
export interface CartLookups {
  variants(ids: readonly string[]): Promise<Map<string, CatalogVariant | null>>;
  /** The product's variant ids, or null when the catalog does not know the product. */
  variantIdsOf(productId: string): Promise<string[] | null>;
  available(variantId: string): Promise<number>;
}

const missingLine = (variantId: string) => notFound("Cart line for product", variantId);

/** A coupon goes on a cart with lines only. */
export const cartEmptyForCoupon = () => new DomainError(ErrorCode.CART_EMPTY, "Your cart is empty: add products before applying a coupon");

/**
 * Cart rules: lines are per variant; quantities are whole, positive, within the per-order
 * limit and the variant's stock; a cart holds one currency; each line remembers the price the
 * customer accepted, which is refreshed whenever they act on the line, so checkout can refuse
 * a silent price change. A line is named by its variant, or by its product when the product
 * has a single variant (VARIANT_REQUIRED otherwise). Every line mutation and acceptPrices
 * takes an optional idempotency key (cart-mutation-key.ts): under it the change is made once
 * however often the call is sent, and a repeat answers the cart as it is now.
 */
export function createCartService(deps: { store: CartStore; limits: CartLimits; clock?: () => Date }) {
  const { store, limits } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function price(cart: StoredCart, lookups: CartLookups): Promise<PricedCart> {
    return priceCart(cart, await lookups.variants(cart.lines.map((line) => line.variantId)));
  }

  /**
   * The variant a mutation names. A product the catalog no longer knows is read as its default
   * variant, so a line of a product that left the catalog can still be removed.
   */
  async function variantIdOf(target: VariantTarget, lookups: CartLookups): Promise<string> {
    const valid = validVariantTarget(target);
    if (valid.variantId !== undefined) return valid.variantId;
    const variants = await lookups.variantIdsOf(valid.productId);
    if (!variants || variants.length === 0) return valid.productId;
    if (variants.length > 1) throw variantRequired(valid.productId, variants.length);
    return variants[0]!;
  }

  async function variantOf(variantId: string, lookups: CartLookups): Promise<CatalogVariant> {
    const variant = (await lookups.variants([variantId])).get(variantId);
    if (!variant) throw variantNotFound(variantId);
    return variant;
  }

  function sameCurrency(cart: StoredCart, variantId: string, price: Money): void {
    const other = cart.lines.find((line) => line.variantId !== variantId);
    if (other && other.accepted.currency !== price.currency) {
      throw badInput(`A cart holds one currency: this product is priced in ${price.currency}, the cart in ${other.accepted.currency}`, { variantId });
    }
  }

  const view = async (userId: string, lookups: CartLookups): Promise<PricedCart> => price(await store.find(userId), lookups);

  /**
   * Runs a keyed change, and answers its refusal as a repeat when the key was recorded: the
   * catalog reads made before the cart's lock may refuse the retry of a change already made
   * (its product left the catalog since: NOT_FOUND; gained variants: VARIANT_REQUIRED), and
   * a repeat is answered with the cart as it is, never with a refusal of a change made. (The
   * store's own check, under the lock, covers every refusal after the reads.)
   */
  async function keyed(userId: string, key: CartMutationKey | undefined, lookups: CartLookups, change: () => Promise<PricedCart>): Promise<PricedCart> {
    try {
      return await change();
    } catch (error) {
      if (!key || !(error instanceof DomainError)) throw error;
      const recorded = await store.recordedKey(userId, key.key).catch(() => undefined);
      if (!isRepeat(key, recorded)) throw error;
      return view(userId, lookups);
    }
  }

  /**
   * Removing is reaching a state: a cart without the line. A line already gone (the repeat of a
   * removal whose answer was lost, a double click, another tab's removal) answers the cart as it
   * is; only a variant the catalog does not know, and the cart does not hold, is NOT_FOUND.
   */
  const removeLine = (userId: string, target: VariantTarget, lookups: CartLookups, key: CartMutationKey | undefined): Promise<PricedCart> =>
    keyed(userId, key, lookups, async () => {
      const variantId = await variantIdOf(target, lookups);
      const known = Boolean((await lookups.variants([variantId])).get(variantId));
      const cart = await store.changeLine(
        userId,
        variantId,
        (current) => {
          if (!current && !known) throw missingLine(variantId);
          return null;
        },
        key,
      );
      return price(cart, lookups);
    });

  /**
   * A keyed change of one variant's line, its variant and stock read first (outside the cart's
   * lock): `decide` gets them and returns what the store's changeLine decides with.
   */
  const changeReadLine = (
    userId: string,
    target: VariantTarget,
    lookups: CartLookups,
    key: CartMutationKey | undefined,
    decide: (variantId: string, variant: Awaited<ReturnType<typeof variantOf>>, available: Awaited<ReturnType<CartLookups["available"]>>) => Parameters<CartStore["changeLine"]>[2],
  ): Promise<PricedCart> =>
    keyed(userId, key, lookups, async () => {
      const variantId = await variantIdOf(target, lookups);
      const [variant, available] = await Promise.all([variantOf(variantId, lookups), lookups.available(variantId)]);
      return price(await store.changeLine(userId, variantId, decide(variantId, variant, available), key), lookups);
    });

  // Async, as every other mutation: a refused key is a rejected promise, never a synchronous throw.
  const remove = async (userId: string, target: VariantTarget, lookups: CartLookups, idempotencyKey?: string | null): Promise<PricedCart> =>
    removeLine(userId, target, lookups, cartMutationKey("removeFromCart", idempotencyKey, { ...target }));

  return {
    view,
    remove,

    async add(userId: string, target: VariantTarget, quantity: number, lookups: CartLookups, idempotencyKey?: string | null): Promise<PricedCart> {
      const valid = validVariantTarget(target);
      if (!Number.isInteger(quantity) || quantity < 1) throw badInput("A quantity must be a whole number of at least 1", { field: "quantity", ...valid });
      const key = cartMutationKey("addToCart", idempotencyKey, { ...target, quantity });
      return changeReadLine(userId, valid, lookups, key, (variantId, variant, available) => (current, cart) => {
        if (!current && cart.lines.length >= limits.maxLines) throw badInput(`A cart holds at most ${limits.maxLines} different products`, { variantId });
        sameCurrency(cart, variantId, variant.price);
        const total = (current?.quantity ?? 0) + quantity;
        checkQuantity(variantId, total, available, limits);
        const line = { variantId, productId: productIdOfVariant(variantId), quantity: total, accepted: variant.price, addedAt: current?.addedAt ?? clock() };
        checkCartValue(cart, line);
        return line;
      });
    },

    /** Sets a line's quantity; 0 removes it. */
    async update(userId: string, target: VariantTarget, quantity: number, lookups: CartLookups, idempotencyKey?: string | null): Promise<PricedCart> {
      const valid = validVariantTarget(target);
      if (!Number.isInteger(quantity) || quantity < 0) throw badInput("A quantity must be a whole number, 0 to remove the line", { field: "quantity", ...valid });
      const key = cartMutationKey("updateCartItem", idempotencyKey, { ...target, quantity });
      if (quantity === 0) return removeLine(userId, valid, lookups, key);
      return changeReadLine(userId, valid, lookups, key, (variantId, variant, available) => (current, cart) => {
        if (!current) throw missingLine(variantId);
        sameCurrency(cart, variantId, variant.price);
        checkQuantity(variantId, quantity, available, limits);
        const line = { ...current, quantity, accepted: variant.price };
        // Only a change that adds value is judged: a cart over the limit (filled under an older
        // one, or re-priced) can always be brought down.
        if (line.accepted.amount * line.quantity > current.accepted.amount * current.quantity) checkCartValue(cart, line);
        return line;
      });
    },

    /**
     * Merges a guest's cart into a customer's (logIn/signUp with a cart token), by the rules
     * of planGuestCartMerge, and deletes the guest cart in the same transaction. Variants and
     * stock are read first, outside the locks; a guest line added meanwhile makes the plan
     * read them again. A guest cart already merged or swept merges nothing (null).
     */
    async mergeGuest(guestCartId: string, customerId: string, lookups: CartLookups): Promise<MergePlan | null> {
      const guestOwner = guestCartOwner(guestCartId);
      for (let attempt = 1; ; attempt++) {
        const guest = await store.find(guestOwner);
        const ids = guest.lines.map((line) => line.variantId);
        const [variants, levels] = await Promise.all([lookups.variants(ids), Promise.all(ids.map((id) => lookups.available(id)))]);
        const facts = { variants, available: new Map(ids.map((id, i) => [id, levels[i]!])) };
        try {
          const merged = await store.mergeGuestCart(guestOwner, customerId, (lockedGuest, customer) => planGuestCartMerge(lockedGuest, customer, facts, limits));
          return merged?.plan ?? null;
        } catch (error) {
          if (!(error instanceof StaleMergeFacts) || attempt >= 3) throw error;
        }
      }
    },

    /**
     * Puts an order's lines back in the customer's cart (buy again; a declined payment; an order
     * cancelled to change it) by the rules of planOrderToCart, all lines in one transaction
     * under the cart's lock, so twenty clicks at once leave the cart as one click does. The
     * order is read as the customer's: another customer's order is NOT_FOUND with the message a
     * missing one gets. Variants and stock are read before the lock, as addToCart reads them.
     * An order never paid for (putBackOnce) goes back once: the put-back is recorded with its
     * lines, so another tab's put-back after this cart's checkout adds nothing.
     */
    async addOrder(userId: string, orderId: string, orders: OrderHistory, lookups: CartLookups): Promise<OrderAddedToCart> {
      const past = orderId.length <= LONGEST_ID ? await orders.orderOf(userId, orderId) : null;
      if (!past) throw notFound("Order", orderId);
      const ordered = past.lines;
      const ids = [...new Set(ordered.map((line) => line.variantId))];
      const [variants, levels] = await Promise.all([lookups.variants(ids), Promise.all(ids.map((id) => lookups.available(id)))]);
      const facts = { variants, available: new Map(ids.map((id, i) => [id, levels[i]!])) };
      const once = putBackOnce(past.status);
      const { decision, cart } = await store.putLines(userId, (locked, putBackBefore) => planOrderToCart(ordered, locked, facts, limits, clock(), putBackBefore), once ? orderId : undefined);
      // Its items went back before and left the cart since (checked out, removed): so did its coupon.
      const gone = decision.results.some((result) => result.outcome === "ALREADY_PUT_BACK");
      return { orderId, cart: await price(cart, lookups), lines: decision.results, couponGivenBack: gone ? null : past.couponGivenBack };
    },

    /**
     * Puts a coupon on the cart (`code` normalised), or with null takes it off, under an
     * optional key as the line changes: a retry after a lost answer applies nothing another tab
     * changed since. `check` judges the coupon against the cart read before the lock (the
     * pricing data is read there, as addToCart reads the catalog); under the lock the cart must
     * still hold lines, so a coupon never lands on a cart a checkout emptied meanwhile.
     */
    async setCoupon(userId: string, code: string | null, lookups: CartLookups, idempotencyKey: string | null | undefined, check?: (cart: PricedCart) => Promise<void>): Promise<PricedCart> {
      const key = code === null ? cartMutationKey("removeCoupon", idempotencyKey, {}) : cartMutationKey("applyCoupon", idempotencyKey, { code });
      return keyed(userId, key, lookups, async () => {
        if (check) await check(await view(userId, lookups));
        const allow = (cart: StoredCart) => {
          if (code !== null && cart.lines.length === 0) throw cartEmptyForCoupon();
        };
        return price(await store.setCoupon(userId, code, allow, key), lookups);
      });
    },

    /** Accepts the current price of every line still in the catalog. */
    async acceptPrices(userId: string, lookups: CartLookups, idempotencyKey?: string | null): Promise<PricedCart> {
      const key = cartMutationKey("acceptCartPrices", idempotencyKey, {});
      const current = await view(userId, lookups);
      const prices = new Map(current.lines.map((line) => [line.variantId, line.current]));
      return price(await store.acceptPrices(userId, prices, (cart) => checkAcceptedPrices(cart, prices), key), lookups);
    },
  };
}

export type CartService = ReturnType<typeof createCartService>;
