import {
  ErrorCode,
  PaymentEventTypes,
  type DomainEvent,
  type Logger,
  type PaymentConfirmedPayload,
  type PaymentFailedPayload,
  type PaymentRefundedPayload,
} from "#kernel";
import type { Order } from "./order.js";
import { onPaymentConfirmed, onPaymentFailed } from "./order-state-machine.js";
import { transitionTo } from "./order-transition.js";
import { CANCEL_REFUND_KEY } from "./after-sale.js";
import { promiseRefund } from "./refund-plan.js";
import type { LockedOrderReads, OrderStore, OrderUpdate } from "../ports/order-store.js";
import type { StockReservations } from "../ports/stock-reservations.js";

export const ORDERS_CONSUMER = "orders";

/**
 * Applies payment outcomes to orders, each event at most once (by event id), each decision
 * under the order's row lock:
 * - PaymentConfirmed: commit the stock hold, then PAID; if the hold expired and could not be
 *   taken again, CANCELLED and a RefundRequested; on an order already cancelled, a refund;
 * - PaymentFailed: release the hold, then PAYMENT_FAILED;
 * - PaymentRefunded: the provider paid a refund back; the refund it names becomes SUCCEEDED.
 * Anything it cannot apply (an unknown order, a malformed payload) throws, so the event is
 * retried and, if it keeps failing, goes to the dead-letter topic.
 */
export function createPaymentOutcomeHandler(deps: { store: OrderStore; reservations: StockReservations; logger: Logger; clock?: () => Date }) {
  const { store, reservations, logger } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function confirmed(order: Order, payload: PaymentConfirmedPayload, reads: LockedOrderReads): Promise<OrderUpdate | null> {
    // Money taken for an order that will not ship goes back in full, once (the cancel's key):
    // a cancel after payment that already refunded it asks for nothing more.
    const refundAll = async (reason: string) =>
      promiseRefund(order, await reads.refunds(), { idempotencyKey: CANCEL_REFUND_KEY, amount: null, reason, paymentId: payload.paymentId }, clock(), { quietWhenNothingLeft: true });
    switch (onPaymentConfirmed(order.status)) {
      case "ignore":
        return null;
      case "refund": {
        logger.warn("payment confirmed for an order that will not ship; refund requested", { orderId: order.id, status: order.status });
        const refund = await refundAll("The order was cancelled before its payment completed");
        return refund ? { refunds: refund.refunds, events: refund.events } : null;
      }
      case "pay":
        try {
          await reservations.commit(order.reservationId);
        } catch (error) {
          if (codeOf(error) !== ErrorCode.RESERVATION_EXPIRED) throw error;
          logger.warn("stock hold expired before payment; order cancelled and refunded", { orderId: order.id });
          const refund = await refundAll("The stock hold expired before the payment completed");
          return { ...transitionTo(order, "CANCELLED", "The stock hold expired before the payment completed; the payment is refunded", clock(), refund?.events ?? []), refunds: refund?.refunds ?? [] };
        }
        {
          // The PAID event says what was sold, so the catalog's popularity needs no order read.
          const items = await reads.items();
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

  async function refunded(order: Order, payload: PaymentRefundedPayload, reads: LockedOrderReads): Promise<OrderUpdate | null> {
    // Events from before partial refunds name no refund: the order's only refund is the one.
    const refunds = await reads.refunds();
    const refund = payload.refundId ? refunds.find((r) => r.id === payload.refundId) : refunds.find((r) => r.status === "PENDING");
    if (!refund || refund.status === "SUCCEEDED") return null;
    return { refundSettled: { refundId: refund.id, providerRef: payload.refundRef, at: clock() }, events: [] };
  }

  return async function handle(event: DomainEvent): Promise<void> {
    if (event.type !== PaymentEventTypes.confirmed && event.type !== PaymentEventTypes.failed && event.type !== PaymentEventTypes.refunded) return;
    const payload = event.payload as Partial<PaymentConfirmedPayload & PaymentFailedPayload & PaymentRefundedPayload> | null;
    const orderId = payload?.orderId;
    if (typeof orderId !== "string" || typeof payload?.paymentId !== "string") throw new Error(`${event.type} ${event.id} has no orderId or paymentId`);
    await store.update(
      orderId,
      async (order, reads) => {
        if (!order) throw new Error(`${event.type} ${event.id} names unknown order ${orderId}`);
        if (event.type === PaymentEventTypes.refunded) return refunded(order, payload as unknown as PaymentRefundedPayload, reads);
        return event.type === PaymentEventTypes.confirmed ? confirmed(order, payload as PaymentConfirmedPayload, reads) : failed(order, payload as PaymentFailedPayload);
      },
      { consumer: ORDERS_CONSUMER, event },
      // Payments name the order's customer (events from before that do not).
      typeof payload.userId === "string" && payload.userId !== "" ? payload.userId : undefined,
    );
  };
}

function codeOf(error: unknown): unknown {
  return (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
}
