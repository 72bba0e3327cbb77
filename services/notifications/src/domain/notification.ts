import {
  AccountMailEventTypes,
  ORDER_CANCELLED_BEFORE_PAYMENT,
  OrderEventTypes,
  PaymentEventTypes,
  type DomainEvent,
  type OrderStatusChangedPayload,
  type PaymentConfirmedPayload,
  type PaymentFailedPayload,
  type PaymentRefundedPayload,
} from "#kernel";
import { MalformedEventError } from "./malformed-event-error.js";
import { draftAccountMail, type AccountLinks } from "./account-mail-draft.js";

export type NotificationKind =
  | "ORDER_PLACED"
  | "PAYMENT_CONFIRMED"
  | "PAYMENT_FAILED"
  | "PAYMENT_REFUNDED"
  | "ORDER_SHIPPED"
  | "ORDER_DELIVERED"
  | "ORDER_CANCELLED"
  | "RETURN_REQUESTED"
  | "PASSWORD_RESET"
  | "EMAIL_VERIFICATION";

/** What to tell whom, before it is addressed to a channel. */
export interface NotificationDraft {
  kind: NotificationKind;
  userId: string;
  /** The order it is about; absent for account mail. */
  orderId?: string;
  subject: string;
  text: string;
  /** Only by email: a one-time link must not go to a phone number nobody verified. */
  emailOnly?: boolean;
}

export interface NotificationMessage extends NotificationDraft {
  /** Stable per event and channel, so a resend overwrites or is recognised as the same. */
  id: string;
  channel: "email" | "sms";
  to: string;
  /** When the fact happened (the event's time), ISO 8601. */
  occurredAt: string;
}

export { MalformedEventError };

/**
 * Which events customers hear about, one message per fact: placed, shipped, delivered and
 * cancelled come from order status changes; paid, payment failed and refunded from the
 * payment events, which carry the amount and the reason. The PAID and PAYMENT_FAILED status
 * changes say the same as those payment events, so they send nothing of their own, and a payment
 * failed because its order was cancelled first sends nothing beside the cancellation's mail.
 */
export function draftNotification(event: DomainEvent, accountLinks?: AccountLinks): NotificationDraft | null {
  if (event.type === OrderEventTypes.statusChanged) return orderStatusDraft(event);
  if (event.type === AccountMailEventTypes.passwordResetRequested || event.type === AccountMailEventTypes.emailVerificationRequested) {
    if (!accountLinks) throw new Error(`${event.type} needs account links to be worded`);
    return draftAccountMail(event, accountLinks);
  }
  if (event.type === PaymentEventTypes.confirmed) {
    const p = paymentPayload<PaymentConfirmedPayload>(event);
    const paid = formatMoney(p.amount, p.currency);
    return draft("PAYMENT_CONFIRMED", p, `Payment received for order ${p.orderId}`, `We received your payment of ${paid} for order ${p.orderId}. We will let you know when it ships.`);
  }
  if (event.type === PaymentEventTypes.failed) {
    const p = paymentPayload<PaymentFailedPayload>(event);
    // The customer cancelled before any charge: the cancellation mail is the one fact to tell.
    if (p.reason === ORDER_CANCELLED_BEFORE_PAYMENT) return null;
    const due = formatMoney(p.amount, p.currency);
    return draft("PAYMENT_FAILED", p, `Payment failed for order ${p.orderId}`, `We could not take your payment of ${due} for order ${p.orderId}: ${p.reason}. The order will not ship; you can order again with another card.`);
  }
  if (event.type === PaymentEventTypes.refunded) {
    const p = paymentPayload<PaymentRefundedPayload>(event);
    const back = formatMoney(p.amount, p.currency);
    return draft("PAYMENT_REFUNDED", p, `Refund for order ${p.orderId}`, `We refunded ${back} for order ${p.orderId}. It can take a few days to show on your statement.`);
  }
  return null;
}

function orderStatusDraft(event: DomainEvent): NotificationDraft | null {
  const p = event.payload as Partial<OrderStatusChangedPayload> | null;
  if (typeof p?.orderId !== "string" || typeof p.userId !== "string" || typeof p.to !== "string") {
    throw new MalformedEventError(`${event.type} ${event.id} lacks orderId, userId or to`);
  }
  const order = p.orderId;
  const who = { userId: p.userId, orderId: order };
  switch (p.to) {
    case "PENDING":
      return p.from ? null : draft("ORDER_PLACED", who, `We received your order ${order}`, `Thank you for your order ${order}. We are taking the payment now and will write again once it has gone through.`);
    case "SHIPPED":
      return draft("ORDER_SHIPPED", who, `Your order ${order} is on its way`, `Your order ${order} has been handed to the carrier.`);
    case "DELIVERED":
      return draft("ORDER_DELIVERED", who, `Your order ${order} was delivered`, `Your order ${order} was delivered. Enjoy it!`);
    case "CANCELLED":
      return draft("ORDER_CANCELLED", who, `Your order ${order} was cancelled`, `Your order ${order} was cancelled. Anything you paid for it is refunded.`);
    case "RETURN_REQUESTED":
      // Refunds are told by PaymentRefunded, with the amount, once the provider has paid them.
      return draft("RETURN_REQUESTED", who, `We received your return request for order ${order}`, `We received your request to return items of order ${order}. We will write again once it is decided; an approved return is refunded to your card.`);
    default:
      return null;
  }
}

function paymentPayload<T extends { orderId: string; userId: string; amount: number; currency: string }>(event: DomainEvent): T {
  const p = event.payload as Partial<T> | null;
  if (typeof p?.orderId !== "string" || typeof p.userId !== "string" || !Number.isInteger(p.amount) || typeof p.currency !== "string") {
    throw new MalformedEventError(`${event.type} ${event.id} lacks orderId, userId, amount or currency`);
  }
  return p as T;
}

const draft = (kind: NotificationKind, who: { userId: string; orderId: string }, subject: string, text: string): NotificationDraft => ({
  kind,
  userId: who.userId,
  orderId: who.orderId,
  subject,
  text,
});

/**
 * Formats by currency, built once each: building an Intl.NumberFormat costs more than the
 * rest of a notification. Bounded, since a currency code arrives in an event.
 */
const moneyFormats = new Map<string, { format: Intl.NumberFormat; minorDigits: number }>();
const MAX_CACHED_FORMATS = 64;

/** 2599 USD reads "$25.99": minor units divided by the currency's own number of decimals. */
export function formatMoney(amount: number, currency: string): string {
  try {
    let cached = moneyFormats.get(currency);
    if (!cached) {
      const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
      cached = { format, minorDigits: format.resolvedOptions().maximumFractionDigits ?? 2 };
      if (moneyFormats.size < MAX_CACHED_FORMATS) moneyFormats.set(currency, cached);
    }
    return cached.format.format(amount / 10 ** cached.minorDigits);
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
}
