import { createHash } from "node:crypto";
import { badInput, DomainError, ErrorCode, isValidIdempotencyKey, LIVE_ATTEMPT_MAX_MS, MAX_CART_LINES, MAX_IDEMPOTENCY_KEY_LENGTH, newEntityId, outOfStock, type AdmissionGate, type Logger } from "#kernel";
import { couponInvalid } from "../../../cart/src/index.js";
import type { Order, OrderItem } from "./order.js";
import { paymentRequested, statusChanged } from "./order-events.js";
import { checkRequestShape, optionsFingerprint, shippingAddressOf, typedDestinationOf, type CheckoutRequest } from "./checkout-request.js";
import type { CartContents, CheckoutCart, CheckoutLine } from "../ports/checkout-cart.js";
import { CartChanged, CouponNotRedeemable, IdempotencyKeyTaken, type OrderStore } from "../ports/order-store.js";
import type { HeldStock, StockReservations } from "../ports/stock-reservations.js";
import type { SavedAddresses } from "../ports/saved-addresses.js";
import { asCustomerRefusal, soldOutForGood, type SoldOutMemo } from "./sold-out-memo.js";
import type { HoldFollowUps } from "./hold-follow-ups.js";

/**
 * How long after its last reserve a key's hold may still belong to an attempt that is placing
 * its order: the reserve's answer (STOCK_CALL_MS), a pooled connection and one statement, each
 * bounded so that together they stay well inside it (money-path-deadlines.ts). Two tabs or a
 * retry share a key's hold, so a refused attempt gives back a hold only when it took the hold
 * and nobody reserved it since, or the hold was idle longer than this (its taker died or lost
 * its answer); another is left to the attempt placing on it, or to expiry.
 */
export { LIVE_ATTEMPT_MAX_MS };

/** How long past LIVE_ATTEMPT_MAX_MS a hold's second look waits: the hold's own idle check then passes. */
export const HOLD_FOLLOW_UP_MARGIN_MS = 5_000;

/**
 * Checkout: the cart becomes a PENDING order with a PENDING payment, and the caller gets it
 * at once; the payment is charged asynchronously (PaymentRequested through the outbox).
 *
 * Idempotency is the databases' job, not timing's. The order id is derived from (user, key),
 * and it is also the stock reservation's id, so:
 * - concurrent duplicates reserve the same hold (the inventory keys reservations by id), and
 *   of their order inserts exactly one commits under the unique (userId, idempotencyKey);
 *   the others then answer with that order;
 * - a repeated key is "the same request" when the cart fingerprint matches, or when the cart
 *   is empty (the first call emptied it); any other cart under a used key is a conflict,
 *   whether the first order committed already or is still reserving (the inventory refuses
 *   the same id for other items);
 * - a retry after a crash between hold and order reserves the id again: the inventory holds
 *   an expired or released hold's items again or answers OUT_OF_STOCK, so PENDING always
 *   comes with a live hold.
 * One cart becomes at most one order whatever the keys (double click, two tabs): the order's
 * transaction removes exactly the priced lines under the cart's row lock (see OrderStore), so
 * one checkout of a cart commits and the others find its lines gone. Such a loser writes
 * nothing, gives its hold back at once and answers CART_EMPTY (naming the order that took the
 * cart) or CART_CHANGED.
 * No database transaction is held across the call to the inventory. If the order cannot be
 * written for any other reason after the hold was taken (the outcome may be unknown), the
 * hold is left to expire (RESERVATION_TTL_MS) rather than released: a client retrying with
 * the same key reserves the same id again.
 * What the order costs is never the client's to say: the cart's pricing computes subtotal,
 * discount, shipping and tax from server-side data (the same function as the cart's
 * estimate). A key names one address (a saved one by its id: edited or removed since, a retry
 * is still its order's), shipping method, coupon argument and payment method too: reused with
 * others it is IDEMPOTENCY_CONFLICT, even once the cart is empty; reused with
 * a shown total (`expectedTotal`) other than its order's, PRICE_CHANGED naming that order.
 * The coupon is redeemed in
 * the order's own statement under the coupon's row lock; when it is used up meanwhile, the
 * checkout writes nothing, gives its hold back and answers COUPON_INVALID with the reason
 * (placing the order without the discount would charge more than the customer was shown).
 * For the same reason a checkout given the total the customer was shown (`expectedTotal`, the
 * estimate's) is refused with PRICE_CHANGED, holding nothing, when the order totals otherwise
 * (a tax rate changed since the estimate): the client bounds the charge, never sets it.
 */
export function createCheckoutService<Contents extends CartContents>(deps: {
  store: OrderStore;
  cart: CheckoutCart<Contents>;
  reservations: StockReservations;
  addresses: SavedAddresses;
  logger: Logger;
  clock?: () => Date;
  /** Refuses checkouts of variants the inventory just answered sold out, before the work. */
  soldOut?: SoldOutMemo;
  /** Bounds the checkouts at work at once; past it they wait, then are refused OVERLOADED. */
  admission?: AdmissionGate;
  /** Looks again at a hold a refused try left to a twin, once no twin can be live (hold-follow-ups.ts). */
  holdFollowUps?: HoldFollowUps;
}) {
  const { store, reservations } = deps;
  const clock = deps.clock ?? (() => new Date());

  /**
   * The order a repeated key placed, when this call asks for what placed it: the same cart (or
   * an empty one, the first call took it), options and payment method. A caller shown another
   * total than the order charges (a stale tab under the same key) is told so, as a checkout of
   * its own would be, not handed an order it did not agree to.
   */
  function replay(existing: Order, requestHash: string | null, sameOptions: ReadonlySet<string>, expectedTotal: number | null): Order {
    if (existing.optionsHash !== null && !sameOptions.has(existing.optionsHash)) throw conflict();
    if (expectedTotal !== null && expectedTotal !== existing.total.amount) throw keyChargesOtherTotal(expectedTotal, existing);
    if (requestHash === null || requestHash === existing.requestHash) return existing;
    throw conflict();
  }

  return {
    async checkout(userId: string, request: CheckoutRequest, log: Logger = deps.logger): Promise<Order> {
      const key = validKey(request.idempotencyKey);
      checkRequestShape(request);
      const couponArgument = request.couponCode ? request.couponCode.trim().toUpperCase() : null;
      const paymentMethod = request.paymentMethod ?? null;
      // A saved address counts by its id, known before it is read (see optionsFingerprint).
      const askedOptions = request.shippingAddressId ? optionsFingerprint({ savedAddressId: request.shippingAddressId }, request.shippingMethodId, couponArgument, paymentMethod) : null;
      const addressLookup = shippingAddressOf(request, userId, deps.addresses);
      // Handled now: a refusal below may never await it, and a lookup failing unawaited would
      // be an unhandled rejection. Awaiting it later still throws its error.
      addressLookup.catch(() => undefined);
      // The saved address this key's order shipped to may have been edited or removed since
      // (on another device, while this retry's first answer was lost): the retry is still
      // answered with its order, not with the address's refusal.
      const addressOrOrder = addressLookup.then(
        (address) => ({ address, placed: undefined }),
        async (error: unknown) => {
          const placed = askedOptions === null ? null : await store.findByIdempotencyKey(userId, key);
          if (placed?.optionsHash !== askedOptions) throw error;
          return { address: undefined, placed };
        },
      );
      addressOrOrder.catch(() => undefined);
      // The cart first, then the key: a twin that commits in between empties the cart and
      // creates the order in one transaction, so this call sees either the full cart or the order.
      // Both are read in one round trip (the cart's statement first), and with them, for an
      // address typed at checkout, the pricing data of the quote: a checkout then reads once
      // before it reserves. While a sale has variants remembered sold out, the pricing read is
      // left out: a loser is refused on the first two reads alone.
      const destination = deps.soldOut?.remembersAny() ? null : typedDestinationOf(request);
      const withKey = deps.cart.readWithOrderOfKey
        ? await deps.cart.readWithOrderOfKey(userId, key, destination ? { destination, shippingMethodId: request.shippingMethodId, couponCode: couponArgument } : undefined)
        : undefined;
      const contents = withKey ? withKey.contents : await deps.cart.read(userId);
      const soldOut = contents.lines.length > 0 ? deps.soldOut?.soldOutAmong(contents.lines.map((line) => line.variantId)) : undefined;
      // A flash sale's losers stop here, before the catalog lookup, pricing and the inventory,
      // unless the key already names an order (a late retry): its answer stands, sold out or not.
      // A bad address is still told first (the lookup ran alongside the cart's read).
      if (soldOut !== undefined && !(withKey ? withKey.placed : await store.findByIdempotencyKey(userId, key))) {
        await addressOrOrder;
        throw outOfStock(soldOut, 0);
      }
      // The work starts here: past the gate's capacity a checkout waits, then is refused having
      // done nothing (the refusals above stay cheap and are never queued behind it).
      const leave = await deps.admission?.enter(userId);
      try {
        const [cart, { address, placed }] = await Promise.all([deps.cart.price(contents), addressOrOrder]);
        const requestHash = cart.lines.length > 0 ? fingerprint(cart.lines) : null;
        const expectedTotal = request.expectedTotal ?? null;
        if (placed) return replay(placed, requestHash, new Set([askedOptions!]), expectedTotal);
        const optionsHash = askedOptions ?? optionsFingerprint(address, request.shippingMethodId, couponArgument, paymentMethod);
        // Orders placed before a saved address counted by its id carry what it said.
        const sameOptions = new Set([optionsHash, optionsFingerprint(address, request.shippingMethodId, couponArgument, paymentMethod)]);
        const quoting = { destination: { country: address.country, region: address.region }, shippingMethodId: request.shippingMethodId, couponCode: couponArgument };
        // The key's order as read with the cart (a twin placing since is found by the order's own
        // statement: IdempotencyKeyTaken, or CartChanged then the key, below); without that
        // read, the key is read alongside the quote's own.
        const [existing, quote] = await Promise.all([
          withKey ? withKey.placed : store.findByIdempotencyKey(userId, key),
          cart.lines.length > 0 ? (withKey?.quote ? withKey.quote(cart) : deps.cart.quote(cart, quoting)).catch((error: unknown) => error as Error) : null,
        ]);
        if (existing) return replay(existing, requestHash, sameOptions, expectedTotal);
        const orderId = orderIdFor(userId, key);
        // Gives the key's hold back when no same-key attempt can still place an order on it:
        // the cart no longer holds its lines, not even edited (the order's statement takes
        // exactly them, and a line removed and put back is another line), or
        // (`unlessLive`) this attempt took the hold and no other reserved it since, or the
        // hold was idle past LIVE_ATTEMPT_MAX_MS. A refusal that leaves the cart as it was
        // (another cart under the key, a spent coupon, a failed statement) says nothing of a
        // twin tab placing this very hold, so it gives back only a hold no such twin reserved.
        let held: HeldStock | undefined;
        // A try whose reserve answered counted itself into the hold's live tries: it leaves
        // with its refusal, and the last try out frees the hold at once, in whatever process
        // the others ran (a try that placed its order never leaves, so its hold stays).
        const releaseHold = async (why: string, options: { unlessLive?: true } = {}) => {
          const released = await reservations
            .release(orderId, options.unlessLive ? { ifIdleForMs: LIVE_ATTEMPT_MAX_MS, ...(held?.taken && { ifExpiresAt: held.expiresAt }), ...(held && { leaving: true }) } : {})
            .then(
              () => true,
              (error: unknown) => {
                // No hold under the key: no try of it ever reserved, so nothing is left to look at.
                if (codeOf(error) === ErrorCode.NOT_FOUND) return false;
                log.warn(`hold of a checkout that ${why} left to expire`, { orderId, userId, error: String(error) });
                return true;
              },
            );
          // Kept for a twin that may be placing on it: should the twin be refused too, nobody
          // would ask again before the hold expires. Once no try can be live, the hold goes back
          // unless an order was placed on it or a reserve touched it since.
          if (released && options.unlessLive) {
            deps.holdFollowUps?.schedule(orderId, LIVE_ATTEMPT_MAX_MS + HOLD_FOLLOW_UP_MARGIN_MS, async () => {
              if (await store.findByIdempotencyKey(userId, key)) return;
              await reservations.release(orderId, { ifIdleForMs: LIVE_ATTEMPT_MAX_MS });
            });
          }
        };
        if (cart.lines.length === 0) {
          // This key has no order yet: a hold an earlier try of it took (it died, or lost its
          // answer, before placing) must not stay off sale until expiry. But the cart read
          // empty a moment ago may hold a line again by now (put back in another tab), and a
          // twin of this key priced on it reserves this very hold and places its order: the
          // hold goes back only when no try of the key can be live, now or at the second look.
          await releaseHold("found its cart empty", { unlessLive: true });
          throw cartEmpty(cart.lastOrderId);
        }
        // An order holds at most a cart's lines (the size the schema declares for Order.items):
        // a cart filled when the limit was higher is brought down before it is bought.
        if (cart.lines.length > MAX_CART_LINES) throw badInput(`An order holds at most ${MAX_CART_LINES} lines; remove ${cart.lines.length - MAX_CART_LINES} from the cart`, { field: "cart" });
        checkPrices(cart.lines);
        if (quote instanceof Error) throw quote;
        const { totals } = quote!;
        // The estimate the customer agreed to: a tax rate set since then, or a line whose product
        // was deleted since, would charge other than that. Refused before anything is held (a repeat of a placed key was answered above).
        if (expectedTotal !== null && expectedTotal !== totals.total.amount) {
          throw totalChanged(expectedTotal, totals.total, cart.unavailable);
        }

        const now = clock();
        const total = totals.total;
        const order: Order = {
          id: orderId,
          userId,
          status: "PENDING",
          statusReason: null,
          total,
          subtotal: totals.subtotal,
          discountTotal: totals.discountTotal,
          shippingTotal: totals.shippingTotal,
          taxTotal: totals.taxTotal,
          shippingAddress: address,
          shippingMethod: quote!.shippingMethod && { id: quote!.shippingMethod.id, name: quote!.shippingMethod.name, price: quote!.shippingMethod.price },
          couponCode: quote!.coupon?.code ?? null,
          optionsHash,
          idempotencyKey: key,
          requestHash: requestHash!,
          reservationId: orderId,
          refundedAmount: 0,
          deliveredAt: null,
          createdAt: now,
          updatedAt: now,
        };
        const charged = new Map(totals.lines.map((line) => [line.variantId, line]));
        const items: OrderItem[] = cart.lines.map((line) => ({
          orderId,
          variantId: line.variantId,
          productId: line.productId,
          name: line.name,
          sku: line.sku,
          variantTitle: line.variantTitle,
          options: line.options,
          quantity: line.quantity,
          unitPrice: line.current,
          discount: charged.get(line.variantId)!.discount,
          tax: charged.get(line.variantId)!.tax,
        }));
        const ordered = items.map(({ variantId, quantity }) => ({ variantId, quantity }));
        const priced = cart.lines.map(({ variantId, quantity, accepted, addedAt }) => ({ variantId, quantity, accepted, addedAt }));
        const paymentId = newEntityId("pay");

        // A twin with this key placed its order, and that order may have ended already
        // (cancelled, payment failed), which released its hold. This call took the same hold
        // id again when it reached the inventory after that: it is given back, or its units
        // would stay held for an order that will never be paid, until the hold expired.
        const replayTwin = async (twin: Order): Promise<Order> => {
          if (twin.status === "CANCELLED" || twin.status === "PAYMENT_FAILED") await releaseHold("answered with an order that had ended");
          return replay(twin, requestHash, sameOptions, expectedTotal);
        };
        const answerWithWinner = async (error: unknown): Promise<Order> => {
          const winner = await store.findByIdempotencyKey(userId, key);
          if (!winner) throw error;
          return replayTwin(winner);
        };
        const keyHeldForAnotherCart = async (): Promise<Order> => {
          const winner = await store.findByIdempotencyKey(userId, key);
          if (winner) return replayTwin(winner);
          // The key's hold names the cart as another try of this key saw it. That try may
          // have died or lost its answer before placing (the cart changed since): then its
          // units go back rather than at expiry, or in a sale they would be held for nobody.
          // Or it is another tab placing that very cart right now, and its hold is its order's.
          // Only an idle hold is the first kind.
          await releaseHold("found its key holding another cart", { unlessLive: true });
          throw conflict();
        };
        // Another tab's checkout of this cart may have won while this one held, priced or placed:
        // then that order is this call's answer, whatever check it failed first (the coupon's
        // last use or the last units went to that very order), not a refusal that sends the
        // customer to fix a cart that is gone.
        const cartTakenBy = async (): Promise<string | null> => {
          const now = await deps.cart.read(userId).catch(() => undefined);
          return now && now.lines.length === 0 && now.lastOrderId && now.lastOrderId !== orderId ? now.lastOrderId : null;
        };
        const lostTheCart = async (lost: CartChanged): Promise<Order> => {
          // A twin with this key took it: this call is its duplicate, and the hold is its hold.
          const twin = await store.findByIdempotencyKey(userId, key);
          if (twin) return replayTwin(twin);
          // Another checkout of this cart won, or the customer edited it. A line only edited
          // since (its quantity or price) can be edited back, and a line removed and put back is
          // a new line with the same variant, quantity and price: a twin priced on it reserves
          // this very hold (the same items) and places its order. That holds even when the
          // statement found the cart empty, for the line may be put back the moment after. So
          // the hold goes back only if no twin reserved it since this call (this try the last
          // one out), or an order would be PENDING with its units on sale.
          await releaseHold("lost its cart", { unlessLive: true });
          log.info("checkout lost its cart to another", { orderId, userId, takenBy: lost.lastOrderId, linesLeft: lost.linesLeft });
          throw lost.linesLeft === 0 ? cartEmpty(lost.lastOrderId) : cartChanged();
        };
        const lostTheCoupon = async (refused: CouponNotRedeemable): Promise<Order> => {
          // The order was priced with the discount: placing it without would charge more than
          // the customer was shown, so it is refused with the reason and nothing is written.
          const twin = await store.findByIdempotencyKey(userId, key);
          if (twin) return replayTwin(twin);
          await releaseHold("lost its coupon", { unlessLive: true });
          const takenBy = await cartTakenBy();
          if (takenBy) {
            log.info("checkout lost its cart to another", { orderId, userId, takenBy, linesLeft: 0 });
            throw cartEmpty(takenBy);
          }
          log.info("checkout refused: coupon no longer redeemable", { orderId, userId, couponCode: order.couponCode, reason: refused.reason });
          throw couponInvalid(refused.reason as Parameters<typeof couponInvalid>[0], order.couponCode);
        };
        const placingFailed = async (error: unknown): Promise<Order> => {
          // Anything else (a database error, a timeout, a value the columns refuse) may have
          // come before the commit or after it, its answer lost: the key says which. Written,
          // the order is answered and keeps its hold; not written, the hold goes back now, or a
          // customer retrying a failing checkout would hold a unit more each time, for nobody.
          // When even the key cannot be read, the hold is left to expire (an order it may
          // belong to must not lose its units).
          const placed = await store.findByIdempotencyKey(userId, key).catch(() => undefined);
          if (placed) return replayTwin(placed);
          if (placed === null) await releaseHold("failed to place its order", { unlessLive: true });
          throw error;
        };
        try {
          held = await reservations.reserve(orderId, ordered);
        } catch (error) {
          // The same id with other items: this key is being used for another cart right now.
          if (codeOf(error) === ErrorCode.IDEMPOTENCY_CONFLICT) return keyHeldForAnotherCart();
          const soldOutVariant = soldOutForGood(error);
          if (soldOutVariant !== undefined) deps.soldOut?.remember(soldOutVariant);
          if (codeOf(error) === ErrorCode.OUT_OF_STOCK) {
            const takenBy = await cartTakenBy();
            if (takenBy) throw cartEmpty(takenBy);
          }
          throw asCustomerRefusal(error);
        }
        try {
          await store.place({
            order,
            items,
            payment: { id: paymentId, amount: total, method: paymentMethod },
            events: [
              statusChanged(order, null, "PENDING", now),
              paymentRequested({ paymentId, orderId, userId, amount: total.amount, currency: total.currency, ...(paymentMethod !== null && { paymentMethod }) }, now),
            ],
            cart: { ordered: priced, unavailable: cart.unavailable },
            couponId: quote!.coupon?.id ?? null,
          });
        } catch (error) {
          if (error instanceof IdempotencyKeyTaken) return answerWithWinner(error);
          if (error instanceof CartChanged) return lostTheCart(error);
          if (error instanceof CouponNotRedeemable) return lostTheCoupon(error);
          return placingFailed(error);
        }
        log.info("order placed", { orderId, userId, total: total.amount, currency: total.currency, lines: items.length, couponCode: order.couponCode });
        return order;
      } finally {
        leave?.();
      }
    },
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;

const conflict = () =>
  new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "This idempotency key was already used for a different checkout; use a new key for a new order");

const cartEmpty = (takenBy: string | null) =>
  takenBy === null
    ? new DomainError(ErrorCode.CART_EMPTY, "Your cart is empty: add products before checking out")
    : new DomainError(ErrorCode.CART_EMPTY, `Your cart is empty: its products were ordered in order ${takenBy}`, { orderId: takenBy });

const cartChanged = () =>
  new DomainError(
    ErrorCode.CART_CHANGED,
    "Your cart changed while checking out (another checkout or an edit took or changed some of its lines); nothing was charged: review the cart and check out again with a new idempotency key",
  );

/**
 * The total differs from the estimate's. What changed is said as far as checkout knows it: lines
 * whose product left the catalog since (left out of the order, so the total fell) are named;
 * otherwise only a rate or the coupon can have moved, for a line's own price is checked first.
 */
const totalChanged = (expectedTotal: number, total: Order["total"], unavailable: readonly string[]) => {
  const why =
    unavailable.length > 0
      ? `${unavailable.length === 1 ? "a product" : `${unavailable.length} products`} in your cart can no longer be bought (variant ${unavailable.join(", ")}) and ${unavailable.length === 1 ? "is" : "are"} left out of the order`
      : "a tax rate, a shipping price or the coupon changed since the estimate";
  return new DomainError(
    ErrorCode.PRICE_CHANGED,
    `The order now totals ${total.amount} (minor units of ${total.currency}), not the ${expectedTotal} you were shown: ${why}; nothing was charged: review the new total and check out again`,
    { expectedTotal, total, changes: [], ...(unavailable.length > 0 && { unavailable: [...unavailable] }) },
  );
};

const keyChargesOtherTotal = (expectedTotal: number, order: Order) =>
  new DomainError(
    ErrorCode.PRICE_CHANGED,
    `This idempotency key already placed order ${order.id}, which totals ${order.total.amount} (minor units of ${order.total.currency}), not the ${expectedTotal} you were shown; review that order before checking out again`,
    { expectedTotal, total: order.total, orderId: order.id, changes: [] },
  );

const codeOf = (error: unknown): unknown => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;

/** One order id per (user, key): duplicates of a checkout name the same order and hold. */
export function orderIdFor(userId: string, key: string): string {
  return `ord_${createHash("sha256").update(`${userId}\n${key}`).digest("hex").slice(0, 32)}`;
}

/** Printable like every other idempotency key of the platform (validIdempotencyKey), and not blank. */
function validKey(key: string): string {
  if (key.trim().length === 0 || !isValidIdempotencyKey(key)) {
    throw badInput(`An idempotency key has 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters; send a fresh random one per checkout`, { field: "idempotencyKey" });
  }
  return key;
}

/** A changed price is reported line by line and nothing is charged. */
function checkPrices(lines: CheckoutLine[]): void {
  const changes = lines
    .filter((line) => line.current.amount !== line.accepted.amount || line.current.currency !== line.accepted.currency)
    .map(({ variantId, productId, name, variantTitle, accepted, current }) => ({ variantId, productId, name, variantTitle, accepted, current }));
  if (changes.length > 0) {
    throw new DomainError(
      ErrorCode.PRICE_CHANGED,
      `The price of ${changes.map(describeLine).join(", ")} changed since it went into your cart; review the cart and accept the new prices (acceptCartPrices) to check out`,
      { changes },
    );
  }
  const currencies = new Set(lines.map((line) => line.current.currency));
  if (currencies.size > 1) throw badInput("A cart in several currencies cannot be checked out as one order");
}

/** "T-shirt (Red / M)", or the name alone for a product without options. */
const describeLine = (line: Pick<CheckoutLine, "name" | "variantTitle">): string => (line.variantTitle === line.name ? line.name : `${line.name} (${line.variantTitle})`);

/**
 * The same cart (variants, quantities, accepted prices) always gives the same fingerprint. A
 * default variant's id is its product's id, so a cart from before variants fingerprints as it did.
 */
function fingerprint(lines: CheckoutLine[]): string {
  const canonical = lines
    .map((line) => [line.variantId, line.quantity, line.accepted.amount, line.accepted.currency] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
