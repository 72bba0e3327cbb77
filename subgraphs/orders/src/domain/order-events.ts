import {
  newEvent,
  OrderEventTypes,
  PaymentEventTypes,
  StockReturnEventTypes,
  Topics,
  type DomainEvent,
  type OrderStatusChangedPayload,
  type PaymentRequestedPayload,
  type RefundRequestedPayload,
  type StockReturnRequestedPayload,
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

/**
 * Sold units back on sale, announced with the change that frees them: written in the same
 * transaction, they go back exactly when that change commits (inventory applies them), never
 * before it and never without it.
 */
export function stockReturnRequested(payload: StockReturnRequestedPayload, at: Date): OutboxMessage {
  return { topic: Topics.stockReturns, event: newEvent(StockReturnEventTypes.requested, payload.orderId, payload, at) };
}
