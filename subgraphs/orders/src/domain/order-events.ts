import {
  newEvent,
  OrderEventTypes,
  PaymentEventTypes,
  Topics,
  type DomainEvent,
  type OrderStatusChangedPayload,
  type PaymentRequestedPayload,
  type RefundRequestedPayload,
} from "#kernel";
import type { Order, OrderStatus } from "./order.js";

/** An event to record in the outbox, with the topic it is relayed to. */
export interface OutboxMessage {
  topic: string;
  event: DomainEvent;
}

/** Every transition, the first PENDING included, is announced: live subscriptions follow it. */
export function statusChanged(order: Pick<Order, "id" | "userId">, from: OrderStatus | null, to: OrderStatus, at: Date, sold?: OrderStatusChangedPayload["sold"]): OutboxMessage {
  const payload: OrderStatusChangedPayload = { orderId: order.id, userId: order.userId, from, to, at: at.toISOString(), ...(sold && { sold }) };
  return { topic: Topics.orderStatusChanged, event: newEvent(OrderEventTypes.statusChanged, order.id, payload, at) };
}

export function paymentRequested(payload: PaymentRequestedPayload, at: Date): OutboxMessage {
  return { topic: Topics.payments, event: newEvent(PaymentEventTypes.requested, payload.orderId, payload, at) };
}

export function refundRequested(payload: RefundRequestedPayload, at: Date): OutboxMessage {
  return { topic: Topics.payments, event: newEvent(PaymentEventTypes.refundRequested, payload.orderId, payload, at) };
}
