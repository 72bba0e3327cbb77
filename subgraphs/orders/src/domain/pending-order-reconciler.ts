import {
  countReconciledOrders,
  PaymentEventTypes,
  startNudgedWorker,
  type DomainEvent,
  type Logger,
  type PaymentConfirmedPayload,
  type PaymentFailedPayload,
  type PaymentRefundedPayload,
} from "#kernel";
import type { OrderStore, StalePendingCursor, UnreturnedStock, UnreturnedStockCursor, UnsettledRefund } from "../ports/order-store.js";
import { cancelRestockId, refundRestockId, returnRestockId } from "./after-sale.js";
import { refundRequested, stockReturnRequested } from "./order-events.js";
import type { OrderPayment, PaymentOutcomes } from "../ports/payment-outcomes.js";

export interface ReconcileSettings {
  /** An order PENDING for longer than this has missed its payment outcome. */
  afterMs: number;
  intervalMs: number;
  batchSize?: number;
}

export interface ReconcilePass {
  examined: number;
  /** Orders driven to their payment's outcome (the event that should have done it was lost). */
  applied: number;
  /** Orders whose payment is still being charged: the payments recovery sweep's work. */
  paymentPending: number;
  /** Orders with no payment recorded yet (its request still on the way). */
  noPayment: number;
  /** Orders an operator must look at (a payment refunded while its order never left PENDING). */
  unresolved: number;
  /** Cancelled orders looked at: cancelled before their payment's confirmation was applied. */
  cancelledExamined: number;
  /** Cancelled orders whose capture the lost confirmation would have refunded: refunded now. */
  cancelledRefunded: number;
  /** Refunds the payments service never recorded (their RefundRequested lost): asked for again. */
  refundsRequestedAgain: number;
  /** Refunds the payments service paid whose PaymentRefunded was lost: marked paid here. */
  refundsSettled: number;
  /** Sold units promised back to stock the inventory never recorded (their StockReturnRequested lost): asked for again. */
  stockReturnsRequestedAgain: number;
}

/**
 * How long after checkout a cancelled order is still looked at for a capture nobody refunded:
 * longer than a payment can stay in doubt (PAYMENT_RETRY_FOR_MS, 10 min by default, plus the
 * provider search's lag and the sweeps) with a wide margin, and short enough that a pass reads
 * a day of cancels, not the whole history.
 */
export const CANCELLED_ORDER_WATCH_MS = 24 * 60 * 60 * 1000;

/**
 * The net under every lost payment outcome. Orders learn that they are paid from the payments
 * service's events; an event can still miss its effect (a database crash that forgot a
 * commit, a dead-lettered delivery, an operator's replay gone wrong), and then an order waits
 * PENDING forever while its money is settled. This pass asks the payments service, the
 * source of truth for money, about every order PENDING for longer than `afterMs`, and applies
 * a settled payment's outcome through the same handler as the event, exactly once: the
 * synthetic event's id is fixed per payment and outcome, the handler decides under the
 * order's row lock and skips an outcome already applied, so replicas running it at once, or
 * the original event arriving late, change nothing twice.
 *
 * A customer may cancel an order while it waits for a confirmation that was lost: the order
 * leaves PENDING (its hold released, nothing refunded, since no payment was known), and the
 * confirmation that would have refunded the capture never comes. So the pass also looks at
 * orders cancelled at least `afterMs` ago (placed within CANCELLED_ORDER_WATCH_MS) with less
 * than their total refunded, and applies a captured payment's confirmation to them through the
 * same handler: on a cancelled order that is the cancel's refund of the rest, under the
 * cancel's key, so it is asked for once whoever applies it.
 */
export function createPendingOrderReconciler(deps: {
  store: OrderStore;
  payments: PaymentOutcomes;
  /** The payment-outcome handler (what the consumer of payment events runs). */
  handle: (event: DomainEvent) => Promise<void>;
  logger: Logger;
  clock?: () => Date;
}) {
  const clock = deps.clock ?? (() => new Date());
  // Where the next pass goes on from. Orders it cannot settle (a payment still being charged
  // or refunded, none recorded) stay PENDING; always starting from the oldest, a batch of
  // them would hide every newer order from the reconciler for good.
  let cursor: StalePendingCursor | undefined;
  let cancelledCursor: StalePendingCursor | undefined;
  let refundCursor: StalePendingCursor | undefined;
  let stockReturnCursor: UnreturnedStockCursor | undefined;

  async function applyOutcome(order: { id: string; userId: string }, payment: OrderPayment, suffix = ""): Promise<void> {
    const base = { paymentId: payment.paymentId, orderId: order.id, attempts: payment.attempts, userId: order.userId, amount: payment.amount, currency: payment.currency };
    const event: DomainEvent<PaymentConfirmedPayload | PaymentFailedPayload> =
      payment.status === "SUCCEEDED"
        ? { id: `reconciled:${payment.paymentId}:confirmed${suffix}`, type: PaymentEventTypes.confirmed, key: order.id, occurredAt: clock().toISOString(), payload: { ...base, providerRef: "" } }
        : { id: `reconciled:${payment.paymentId}:failed`, type: PaymentEventTypes.failed, key: order.id, occurredAt: clock().toISOString(), payload: { ...base, reason: payment.failureReason ?? "The payment failed" } };
    await deps.handle(event);
  }

  /** Up to `batchSize` cancelled orders with less than their total refunded, as `reconcileOnce` says. */
  async function refundLostCaptures(pass: ReconcilePass, afterMs: number, batchSize: number): Promise<void> {
    const now = clock().getTime();
    const cancelled = await deps.store.findUnrefundedCancelled(new Date(now - CANCELLED_ORDER_WATCH_MS), new Date(now - afterMs), batchSize, cancelledCursor);
    const last = cancelled.at(-1);
    cancelledCursor = cancelled.length < batchSize || !last ? undefined : { id: last.id, createdAt: last.createdAt };
    if (cancelled.length === 0) return;
    const payments = await deps.payments.ofOrders(cancelled.map((order) => order.id));
    for (const order of cancelled) {
      pass.cancelledExamined++;
      const payment = payments.get(order.id);
      // Never captured (FAILED), still in doubt (PENDING: its own event, or a later pass, ends
      // it) or already given back (REFUNDED): nothing to do here.
      if (payment?.status !== "SUCCEEDED") continue;
      // Its refund of the rest commits with the event's record, so the order leaves this scan.
      await applyOutcome(order, payment, ":after-cancel");
      pass.cancelledRefunded++;
      deps.logger.warn("cancelled order's capture refunded by the reconciler: the payment's confirmation had not been applied", { orderId: order.id, paymentId: payment.paymentId });
    }
  }

  /**
   * Up to `batchSize` refunds promised at least `afterMs` ago (within the watch) and lost on
   * the way to or from the payments service. Nothing else asks for a refund again: the payments
   * service learns of one only from its RefundRequested, so a request dead-lettered or lost kept
   * the customer's money for good while the order showed it refunded. Asked for again under the
   * refund's own id, the request is paid once whoever asks (payments records a refund id once);
   * one paid whose PaymentRefunded was lost is settled through the handler, once.
   */
  async function settleLostRefunds(pass: ReconcilePass, afterMs: number, batchSize: number): Promise<void> {
    const now = clock().getTime();
    const lost = await deps.store.findUnsettledRefunds(new Date(now - CANCELLED_ORDER_WATCH_MS), new Date(now - afterMs), batchSize, refundCursor);
    const last = lost.at(-1);
    refundCursor = lost.length < batchSize || !last ? undefined : { id: last.id, createdAt: last.createdAt };
    for (const refund of lost) {
      if (refund.atPayments) {
        await deps.handle(refundedEvent(refund, refund.atPayments.providerRef));
        pass.refundsSettled++;
        deps.logger.warn("refund marked paid by the reconciler: its PaymentRefunded had not been applied", { orderId: refund.orderId, refundId: refund.id });
        continue;
      }
      if (await requestAgain(refund)) {
        pass.refundsRequestedAgain++;
        deps.logger.warn("refund asked for again by the reconciler: the payments service never recorded it", { orderId: refund.orderId, refundId: refund.id, amount: refund.amount.amount });
      }
    }
  }

  /** A RefundRequested for the refund as it was promised, written under the order's lock while it is still PENDING. */
  async function requestAgain(refund: UnsettledRefund): Promise<boolean> {
    let asked = false;
    await deps.store.update(refund.orderId, async (order, reads) => {
      const current = order ? (await reads.refunds()).find((r) => r.id === refund.id) : undefined;
      if (current?.status !== "PENDING") return null;
      asked = true;
      const payload = { orderId: refund.orderId, refundId: refund.id, amount: current.amount.amount, currency: current.amount.currency, ...(refund.paymentId && { paymentId: refund.paymentId }) };
      return { events: [refundRequested(payload, clock())] };
    });
    return asked;
  }

  /**
   * Up to `batchSize` returns of sold units promised at least `afterMs` ago (within the watch)
   * that the inventory never recorded. The inventory learns of them only from their
   * StockReturnRequested, so one dead-lettered or lost kept the units off sale for good. Asked
   * for again under the same return id, they come back once whoever asks (the inventory records
   * a return id once), so a request that was merely slow returns nothing twice.
   */
  async function returnLostStock(pass: ReconcilePass, afterMs: number, batchSize: number): Promise<void> {
    const now = clock().getTime();
    const lost = await deps.store.findUnreturnedStock(new Date(now - CANCELLED_ORDER_WATCH_MS), new Date(now - afterMs), batchSize, stockReturnCursor);
    const last = lost.at(-1);
    stockReturnCursor = lost.length < batchSize || !last ? undefined : { returnId: last.returnId, changedAt: last.changedAt };
    for (const promised of lost) {
      if (await requestStockReturnAgain(promised)) {
        pass.stockReturnsRequestedAgain++;
        deps.logger.warn("stock return asked for again by the reconciler: the inventory never recorded it", { orderId: promised.orderId, returnId: promised.returnId });
      }
    }
  }

  /** The StockReturnRequested the change wrote, again, under the order's lock while the change still stands. */
  async function requestStockReturnAgain(promised: UnreturnedStock): Promise<boolean> {
    let asked = false;
    await deps.store.update(promised.orderId, async (order, reads) => {
      if (!order) return null;
      let items: { variantId: string; quantity: number }[] | undefined;
      if (promised.returnId === cancelRestockId(order.id) && order.status === "CANCELLED") items = await reads.items();
      else if (promised.returnId === refundRestockId(order.id) && order.status === "REFUNDED") items = await reads.items();
      else {
        const approved = (await reads.returns()).find((r) => r.status === "APPROVED" && returnRestockId(r.id) === promised.returnId);
        items = approved?.items;
      }
      if (!items) return null;
      asked = true;
      const payload = { returnId: promised.returnId, orderId: order.id, items: items.map(({ variantId, quantity }) => ({ variantId, quantity })) };
      return { events: [stockReturnRequested(payload, clock())] };
    });
    return asked;
  }

  const refundedEvent = (refund: UnsettledRefund, providerRef: string | null): DomainEvent<PaymentRefundedPayload> => ({
    id: `reconciled:${refund.id}:refunded`,
    type: PaymentEventTypes.refunded,
    key: refund.orderId,
    occurredAt: clock().toISOString(),
    payload: {
      paymentId: refund.paymentId ?? "",
      orderId: refund.orderId,
      refundId: refund.id,
      userId: refund.userId,
      refundRef: providerRef ?? "",
      amount: refund.amount.amount,
      currency: refund.amount.currency,
    },
  });

  return {
    /**
     * One pass over up to `batchSize` stale PENDING orders, oldest first from where the last
     * pass stopped (after the newest, the next pass starts again from the oldest), and over up
     * to `batchSize` cancelled orders with less than their total refunded, refunds lost on the
     * way to or from payments, and sold units promised back to stock the inventory never
     * recorded, the same way.
     */
    async reconcileOnce(settings: Pick<ReconcileSettings, "afterMs" | "batchSize">): Promise<ReconcilePass> {
      const pass: ReconcilePass = {
        examined: 0,
        applied: 0,
        paymentPending: 0,
        noPayment: 0,
        unresolved: 0,
        cancelledExamined: 0,
        cancelledRefunded: 0,
        refundsRequestedAgain: 0,
        refundsSettled: 0,
        stockReturnsRequestedAgain: 0,
      };
      const batchSize = settings.batchSize ?? 100;
      await refundLostCaptures(pass, settings.afterMs, batchSize);
      await settleLostRefunds(pass, settings.afterMs, batchSize);
      await returnLostStock(pass, settings.afterMs, batchSize);
      const stale = await deps.store.findStalePending(new Date(clock().getTime() - settings.afterMs), batchSize, cursor);
      const last = stale.at(-1);
      cursor = stale.length < batchSize || !last ? undefined : { id: last.id, createdAt: last.createdAt };
      if (stale.length === 0) return pass;
      const payments = await deps.payments.ofOrders(stale.map((order) => order.id));
      for (const order of stale) {
        pass.examined++;
        const payment = payments.get(order.id);
        if (!payment) {
          pass.noPayment++;
          continue;
        }
        switch (payment.status) {
          case "PENDING":
            pass.paymentPending++;
            break;
          case "SUCCEEDED":
          case "FAILED":
            await applyOutcome(order, payment);
            pass.applied++;
            deps.logger.warn("order reconciled from its payment: the payment's outcome event had not been applied", { orderId: order.id, paymentId: payment.paymentId, paymentStatus: payment.status });
            break;
          case "REFUNDED":
            pass.unresolved++;
            deps.logger.error("order still PENDING while its payment was refunded in full; needs an operator", { orderId: order.id, paymentId: payment.paymentId });
            break;
        }
      }
      return pass;
    },
  };
}

export type PendingOrderReconciler = ReturnType<typeof createPendingOrderReconciler>;

/** Runs the reconciler every `intervalMs` (and once at start) until stopped. */
export function startPendingOrderReconciler(reconciler: PendingOrderReconciler, settings: ReconcileSettings, logger: Logger) {
  return startNudgedWorker({
    pollMs: settings.intervalMs,
    drain: async () => {
      const pass = await reconciler.reconcileOnce(settings);
      const applied = pass.applied + pass.cancelledRefunded + pass.refundsRequestedAgain + pass.refundsSettled + pass.stockReturnsRequestedAgain;
      countReconciledOrders("applied", applied);
      countReconciledOrders("unresolved", pass.unresolved);
      if (applied > 0 || pass.unresolved > 0) logger.info("pending-order reconciliation pass", { ...pass });
      // A full batch means more may be waiting: go on at the next poll rather than at once,
      // so a backlog after a long outage is worked off without a burst.
      return pass.examined > 0;
    },
    onError: (error, failures) => logger.warn("pending-order reconciliation failed; retrying at the next poll", { failures, error: String(error) }),
  });
}
