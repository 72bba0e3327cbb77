import type { DomainEvent, Money } from "#kernel";
import type { Order, OrderItem, OrderStatus, OrderStatusChange } from "../domain/order.js";
import type { Refund, Return, ReturnStatus } from "../domain/after-sale.js";
import type { OutboxMessage } from "../domain/order-events.js";

/** Everything checkout writes at once: the order, its lines, its payment, its events. */
export interface NewOrder {
  order: Order;
  items: OrderItem[];
  /** The payment to create; `method` is the customer's payment-method token (null: the provider's default), kept on the payment from the start. */
  payment: { id: string; amount: Money; method: string | null };
  events: OutboxMessage[];
  /** What leaves the cart in the same transaction: the lines as priced, exactly. */
  cart: { ordered: { variantId: string; quantity: number; accepted: Money; addedAt: Date }[]; unavailable: string[] };
  /** The coupon redeemed in the same transaction, within its limits, or none. */
  couponId: string | null;
}

/**
 * Thrown by `place` when the coupon can no longer be redeemed (used up, the customer's limit,
 * deactivated, out of its window); nothing was written.
 */
export class CouponNotRedeemable extends Error {
  constructor(readonly reason: string) {
    super(`The coupon cannot be redeemed: ${reason}`);
  }
}

/** A refund promised in a decision; the order's refundedAmount grows by its amount in the same transaction. */
export type NewRefund = Omit<Refund, "status" | "providerRef" | "refundedAt">;

/**
 * What a decision does to a locked order: maybe a transition, after-sale records, and events
 * to record, all in one transaction.
 */
export interface OrderUpdate {
  transition?: { from: OrderStatus; to: OrderStatus; reason: string | null; at: Date };
  refunds?: NewRefund[];
  newReturn?: Return;
  returnDecision?: { returnId: string; status: Exclude<ReturnStatus, "REQUESTED">; reason: string | null; at: Date };
  refundSettled?: { refundId: string; providerRef: string; at: Date };
  events: OutboxMessage[];
}

/** Reads a decision makes while the order is locked, in the locking transaction. */
export interface LockedOrderReads {
  items(): Promise<OrderItem[]>;
  refunds(): Promise<Refund[]>;
  returns(): Promise<Return[]>;
}

/** Listing position: orders sort newest first by (createdAt desc, id desc). */
export interface OrderPosition {
  createdAt: string;
  id: string;
}

/** Thrown by `place` when the (user, idempotency key) pair already belongs to an order. */
export class IdempotencyKeyTaken extends Error {
  constructor(readonly userId: string, readonly idempotencyKey: string) {
    super(`Idempotency key ${idempotencyKey} of user ${userId} is already used`);
  }
}

/**
 * Thrown by `place` when the cart no longer holds every line as priced (another checkout of
 * this cart committed first, or the customer changed a line meanwhile); nothing was written.
 * `linesLeft` counts the lines the cart holds; `lastOrderId` names the order that took its
 * lines last, unless the cart changed since.
 */
export class CartChanged extends Error {
  constructor(
    readonly userId: string,
    readonly linesLeft: number,
    readonly lastOrderId: string | null,
    /**
     * Of the lines being ordered, how many the cart still holds as lines (the variant, added at
     * the same time), whatever their quantity or price now: such a line, edited back, is again
     * the line a same-key twin priced. Null when the database did not say (counted as some).
     */
    readonly pricedLinesLeft: number | null = null,
  ) {
    super(`The cart of user ${userId} no longer holds the lines being ordered`);
  }
}

/**
 * The relational role for orders. Guarantees:
 * - one order per (user, idempotency key), enforced by a unique constraint: of concurrent
 *   `place` calls with one key exactly one commits, the others throw IdempotencyKeyTaken;
 * - one order per cart: `place` removes the priced lines from the cart in its transaction,
 *   under the cart's row lock, and throws CartChanged (writing nothing) unless every one was
 *   still there as priced; so of concurrent `place` calls for one cart, whatever their keys,
 *   one commits;
 * - `place` and `update` write their events to the transactional outbox in the same
 *   transaction as the change, so a change is announced exactly when it commits;
 * - `update` runs `decide` with the order's row locked, so decisions on one order (a cancel,
 *   a payment outcome) apply one at a time, each on the state the previous one left;
 * - with `once`, an event is applied at most once per consumer (redeliveries are skipped);
 * - refunds are written with the order's refundedAmount under the same lock, and a CHECK keeps
 *   refundedAmount within the order total: a decision that would promise more than was
 *   captured fails whatever raced it; a refund's (order, idempotency key) is unique.
 */
export interface OrderStore {
  findById(id: string): Promise<Order | null>;
  findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<Order | null>;
  listByUser(userId: string, first: number, after?: OrderPosition): Promise<{ items: Order[]; hasNextPage: boolean }>;
  countByUser(userId: string): Promise<number>;
  itemsOf(orderIds: readonly string[]): Promise<Map<string, OrderItem[]>>;
  historyOf(orderIds: readonly string[]): Promise<Map<string, OrderStatusChange[]>>;
  refundsOf(orderIds: readonly string[]): Promise<Map<string, Refund[]>>;
  returnsOf(orderIds: readonly string[]): Promise<Map<string, Return[]>>;
  findReturn(id: string): Promise<Return | null>;
  findRefund(id: string): Promise<Refund | null>;
  /**
   * Orders still PENDING that were placed before `placedBefore`, oldest first and, given
   * `after`, past that one: their payment outcome should have arrived long ago (what the
   * pending-order reconciler looks at).
   */
  findStalePending(placedBefore: Date, limit: number, after?: StalePendingCursor): Promise<StalePendingOrder[]>;
  /**
   * Orders CANCELLED with less than their total refunded (nothing, for a cancel before the
   * payment was recorded), placed after `placedAfter` and last changed before `changedBefore`,
   * oldest first and, given `after`, past that one: a capture whose confirmation never reached
   * such an order is kept for an order that will not ship (what the reconciler also looks at).
   */
  findUnrefundedCancelled(placedAfter: Date, changedBefore: Date, limit: number, after?: StalePendingCursor): Promise<StalePendingOrder[]>;
  /**
   * Refunds still PENDING here, asked for after `askedAfter` and before `askedBefore`, oldest
   * first and, given `after`, past that one, that the payments tables (the database both share)
   * show lost on the way: never recorded there (the RefundRequested did not arrive), or paid
   * there (the PaymentRefunded did not arrive). One the payments service is still paying is not
   * returned: its own sweep pays it.
   */
  findUnsettledRefunds(askedAfter: Date, askedBefore: Date, limit: number, after?: StalePendingCursor): Promise<UnsettledRefund[]>;
  /**
   * Sold units promised back to stock between `changedAfter` and `changedBefore` that the
   * inventory's tables (the database both share) show no return of: a cancel whose hold was
   * committed (`cancel:<orderId>`), a PAID order refunded in full (`refund:<orderId>`), an
   * approved return (`return:<returnId>`). Oldest first and, given `after`, past that one.
   */
  findUnreturnedStock(changedAfter: Date, changedBefore: Date, limit: number, after?: UnreturnedStockCursor): Promise<UnreturnedStock[]>;
  /**
   * Writes the order, its lines, first status, payment, events and cart removal at once. When
   * it fails otherwise than by a refusal, the statement is no longer running anywhere by the
   * time it throws: a read of the key then tells whether the order was written.
   */
  place(order: NewOrder): Promise<void>;
  /**
   * Returns the order after the update; null when the event was already applied (`once`).
   * `customer`, when the caller knows whose order it is (an event that names the customer), lets
   * the store find the order without its locator; a wrong one costs a lookup, never a wrong order.
   */
  update(
    orderId: string,
    decide: (order: Order | null, reads: LockedOrderReads) => Promise<OrderUpdate | null>,
    once?: { consumer: string; event: DomainEvent },
    customer?: string,
  ): Promise<Order | null>;
}

/** An order the reconciler looks at, with the place it has in the oldest-first scan. */
export interface StalePendingOrder {
  id: string;
  userId: string;
  createdAt: Date;
}

export type StalePendingCursor = Pick<StalePendingOrder, "id" | "createdAt">;

/** A refund promised here whose request or outcome went missing between orders and payments. */
export interface UnsettledRefund {
  id: string;
  orderId: string;
  userId: string;
  amount: Money;
  /** The order's payment; null only for an order whose payment row is gone. */
  paymentId: string | null;
  /** What payments made of it: nothing (never recorded), or paid with the provider's reference. */
  atPayments: { status: "SUCCEEDED"; providerRef: string | null } | null;
  createdAt: Date;
}

/** Units an order change promised back to stock (its StockReturnRequested) that the inventory never recorded. */
export interface UnreturnedStock {
  /** The inventory's once-only id: `cancel:<orderId>`, `refund:<orderId>` or `return:<returnId>`. */
  returnId: string;
  orderId: string;
  userId: string;
  /** When the change that promised them committed. */
  changedAt: Date;
}

export type UnreturnedStockCursor = Pick<UnreturnedStock, "returnId" | "changedAt">;
