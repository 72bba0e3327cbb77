import type { Order, OrderStatus } from "./order.js";
import { assertTransition } from "./order-state-machine.js";
import type { OrderStatusChangedPayload } from "#kernel";
import { statusChanged, type OutboxMessage } from "./order-events.js";
import type { OrderUpdate } from "../ports/order-store.js";

/**
 * The update that moves an order to `to`: refused with ILLEGAL_TRANSITION unless the state
 * machine allows it, and always announced with an OrderStatusChanged event.
 */
export function transitionTo(
  order: Order,
  to: OrderStatus,
  reason: string | null,
  at: Date,
  extraEvents: OutboxMessage[] = [],
  sold?: OrderStatusChangedPayload["sold"],
): OrderUpdate {
  assertTransition(order.id, order.status, to);
  return { transition: { from: order.status, to, reason, at }, events: [statusChanged(order, order.status, to, at, sold), ...extraEvents] };
}
