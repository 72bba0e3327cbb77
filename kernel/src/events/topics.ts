/** Every topic on the event bus, in one place so producers and consumers cannot drift. */
export const Topics = {
  /** Catalog writes (ProductUpserted, ProductDeleted), keyed by product id. */
  productChanged: "catalog.product-changed",
  /** Order status transitions (OrderStatusChanged), keyed by order id. */
  orderStatusChanged: "orders.status-changed",
  /** Payment outcomes (PaymentRequested, PaymentConfirmed, PaymentFailed), keyed by order id. */
  payments: "payments.events",
  /** Stock level changes (StockChanged) per variant, keyed by product id. */
  stockChanged: "inventory.stock-changed",
  /** Counted product views (ProductViewed), keyed by product id; the trending rankings consume them. */
  productViewed: "catalog.product-viewed",
  /** An uploaded image was attached to a product (ImageAttached), keyed by its content hash; the renditions worker consumes it. */
  imageAttached: "catalog.image-attached",
  /** Accounts' one-time links to mail (PasswordResetRequested, EmailVerificationRequested), keyed by user id. */
  accountMail: "accounts.mail",
  /** Sessions ended (SessionsEnded: a log-out, a password reset), keyed by user id; gateways close the sockets they opened. */
  sessionsEnded: "accounts.sessions-ended",
  /**
   * Sold units going back on sale (StockReturnRequested), keyed by order id: written by orders
   * in the transaction that frees them (a cancel, a full refund before shipping, an approved
   * return), applied by inventory.
   */
  stockReturns: "inventory.stock-returns",
} as const;

/** Payload of `orders.status-changed`; enough for live subscriptions and notifications. */
export interface OrderStatusChangedPayload {
  orderId: string;
  userId: string;
  from: string | null;
  to: string;
  at: string;
  /** On the transition to PAID only: what the order sold, a line per variant (the catalog's popularity counts it). */
  sold?: { productId: string; variantId: string; quantity: number }[];
}

/** Event types on `orders.status-changed`. */
export const OrderEventTypes = { statusChanged: "OrderStatusChanged" } as const;

/**
 * Event types on `payments.events`, all keyed by order id. Orders writes PaymentRequested
 * (with the order) and RefundRequested; payments writes PaymentConfirmed, PaymentFailed and
 * PaymentRefunded.
 */
export const PaymentEventTypes = {
  requested: "PaymentRequested",
  confirmed: "PaymentConfirmed",
  failed: "PaymentFailed",
  refundRequested: "RefundRequested",
  refunded: "PaymentRefunded",
} as const;

/** Charge this order's payment. Amount in minor units, equal to the order total. */
export interface PaymentRequestedPayload {
  paymentId: string;
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  /**
   * The provider's payment-method token checkout was given (e.g. `pm_card_ok`); absent or null:
   * the provider's succeeding test token. Optional so events written before it still parse.
   */
  paymentMethod?: string | null;
}

/** The provider captured the money; `attempts` counts provider calls, retries included. */
export interface PaymentConfirmedPayload {
  paymentId: string;
  orderId: string;
  providerRef: string;
  attempts: number;
  /** Whose money it was and how much: notifications address and word the receipt with them. */
  userId: string;
  amount: number;
  currency: string;
}

/**
 * The reason of a payment that failed because the customer cancelled its order before a charge
 * was taken (none sent, or none the provider holds). The cancellation is the customer's own act,
 * told by the order's cancellation mail: notifications send no "payment failed, order again with
 * another card" beside it. The same words as before it had a name, so events published earlier
 * are recognised too.
 */
export const ORDER_CANCELLED_BEFORE_PAYMENT = "The order was cancelled before its payment was taken";

/** Declined, or failed after every retry; the order releases its stock. */
export interface PaymentFailedPayload {
  paymentId: string;
  orderId: string;
  reason: string;
  attempts: number;
  /** Whom to tell (notifications). */
  userId: string;
  amount: number;
  currency: string;
}

/**
 * Give money back for an order whose payment was captured: a cancel, an approved return, an
 * admin's refund. `refundId` names the orders subgraph's refund and is the provider's
 * idempotency basis, so the same refund is never paid twice. Events written before partial
 * refunds existed carry neither refundId nor amount and mean "refund the whole payment";
 * `paymentId` is absent when the orders subgraph did not know it (payments finds it by order).
 */
export interface RefundRequestedPayload {
  paymentId?: string;
  orderId: string;
  refundId?: string;
  amount?: number;
  currency?: string;
}

/** The provider returned money of a payment (after RefundRequested): one refund, full or partial. */
export interface PaymentRefundedPayload {
  paymentId: string;
  orderId: string;
  /** The orders subgraph's refund this settles (absent on events from before partial refunds). */
  refundId?: string;
  userId: string;
  /** The provider's reference of the refund. */
  refundRef: string;
  amount: number;
  currency: string;
}

/** Event types on `inventory.stock-changed`. */
export const InventoryEventTypes = { stockChanged: "StockChanged" } as const;

/**
 * A variant's units free to sell changed (reserve, release, expiry, restock); keyed by its
 * product's id, so one product's events stay in order and caches of the product page drop.
 */
export interface StockChangedPayload {
  variantId: string;
  productId: string;
  /** Units free to sell after the change. */
  available: number;
  /**
   * How the change moved them (`available - delta` before it): whether the variant went out
   * of stock or came back is read off the event. Absent on events written before it was added.
   */
  delta?: number;
}

/** Event types on `inventory.stock-returns`. */
export const StockReturnEventTypes = { requested: "StockReturnRequested" } as const;

/**
 * Put these sold units back on sale, once per `returnId` (`cancel:<orderId>`, `refund:<orderId>`,
 * `return:<returnId>`): the inventory records the id with the units, so a redelivery is a repeat.
 */
export interface StockReturnRequestedPayload {
  returnId: string;
  orderId: string;
  items: { variantId: string; quantity: number }[];
}
