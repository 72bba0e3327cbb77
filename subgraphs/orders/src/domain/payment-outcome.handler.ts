import {
  ErrorCode,
  PaymentEventTypes,
  type DomainEvent,
  type Logger,
  type PaymentConfirmedPayload,
  type PaymentFailedPayload,
} from "#kernel";
import type { Order } from "./order.js";
import { onPaymentConfirmed, onPaymentFailed } from "./order-state-machine.js";
import { transitionTo } from "./order-transition.js";
import { refundRequested } from "./order-events.js";
import type { OrderStore, OrderUpdate } from "../ports/order-store.js";
import type { StockReservations } from "../ports/stock-reservations.js";

export const ORDERS_CONSUMER = "orders";

/**
 * Applies payment outcomes to orders, each event at most once (by event id), each decision
 * under the order's row lock:
 * - PaymentConfirmed: commit the stock hold, then PAID; if the hold expired and could not be
 *   taken again, CANCELLED and a RefundRequested; on an order already cancelled, a refund;
 * - PaymentFailed: release the hold, then PAYMENT_FAILED.
 * Anything it cannot apply (an unknown order, a malformed payload) throws, so the event is
 * retried and, if it keeps failing, goes to the dead-letter topic.
 */
export function createPaymentOutcomeHandler(deps: { store: OrderStore; reservations: StockReservations; logger: Logger; clock?: () => Date }) {
  const { store, reservations, logger } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function confirmed(order: Order, payload: PaymentConfirmedPayload): Promise<OrderUpdate | null> {
    const refund = () => refundRequested({ paymentId: payload.paymentId, orderId: order.id }, clock());
    switch (onPaymentConfirmed(order.status)) {
      case "ignore":
        return null;
      case "refund":
        logger.warn("payment confirmed for an order that will not ship; refund requested", { orderId: order.id, status: order.status });
        return { events: [refund()] };
      case "pay":
        try {
          await reservations.commit(order.reservationId);
        } catch (error) {
          if (codeOf(error) !== ErrorCode.RESERVATION_EXPIRED) throw error;
          logger.warn("stock hold expired before payment; order cancelled and refunded", { orderId: order.id });
          return transitionTo(order, "CANCELLED", "The stock hold expired before the payment completed; the payment is refunded", clock(), [refund()]);
        }
        {
          // The PAID event says what was sold, so the catalog's popularity needs no order read.
          const items = (await store.itemsOf([order.id])).get(order.id) ?? [];
          const sold = items.map(({ productId, variantId, quantity }) => ({ productId, variantId, quantity }));
          return transitionTo(order, "PAID", null, clock(), [], sold);
        }
    }
  }

  async function failed(order: Order, payload: PaymentFailedPayload): Promise<OrderUpdate | null> {
    if (onPaymentFailed(order.status) === "ignore") return null;
    await reservations.release(order.reservationId);
    return transitionTo(order, "PAYMENT_FAILED", payload.reason || "The payment failed", clock());
  }

  return async function handle(event: DomainEvent): Promise<void> {
    if (event.type !== PaymentEventTypes.confirmed && event.type !== PaymentEventTypes.failed) return;
    const payload = event.payload as Partial<PaymentConfirmedPayload & PaymentFailedPayload> | null;
    const orderId = payload?.orderId;
    if (typeof orderId !== "string" || typeof payload?.paymentId !== "string") throw new Error(`${event.type} ${event.id} has no orderId or paymentId`);
    await store.update(
      orderId,
      async (order) => {
        if (!order) throw new Error(`${event.type} ${event.id} names unknown order ${orderId}`);
        return event.type === PaymentEventTypes.confirmed ? confirmed(order, payload as PaymentConfirmedPayload) : failed(order, payload as PaymentFailedPayload);
      },
      { consumer: ORDERS_CONSUMER, event },
    );
  };
}

function codeOf(error: unknown): unknown {
  return (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
}
