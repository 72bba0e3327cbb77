import { DomainError, ErrorCode, newEntityId, notFound, requireAdmin, requireUser, singleLineText, type RequestContext } from "#kernel";
import type { Order } from "./order.js";
import { refundRestockId, returnRefundKey, returnRestockId, type Refund, type Return } from "./after-sale.js";
import { afterSaleStatus, isRefundable } from "./order-state-machine.js";
import { transitionTo } from "./order-transition.js";
import { assertRoomForAdminRefund, promiseRefund, validRefundArguments } from "./refund-plan.js";
import { assertRoomForReturn, returnableUnits, returnLines, openTwinOf, returnOfKey, returnRefundAmount, returnRequestHash, validReturnArguments } from "./return-rules.js";
import type { OrderStore, OrderUpdate } from "../ports/order-store.js";
import { stockReturnRequested } from "./order-events.js";

/** Whose orders a customer's after-sale call may touch: their own; anyone else's does not exist. */
const ownedBy = (order: Order | null, userId: string): order is Order => !!order && order.userId === userId;

/**
 * Refunds and returns, every decision under the order's row lock and in one transaction with
 * its records, the order's status and its events (outbox):
 * - refundOrder (admin): full or partial, never beyond captured minus already refunded (the
 *   order row's CHECK holds the same bound), idempotent by key;
 * - requestReturn (owner): delivered units within the return window, never more than are
 *   still returnable (every request is judged under the order's lock, on the returns before
 *   it, so concurrent ones never add up to more); idempotent by the customer's key, and
 *   without one a request the same as an open return is that return (a double click);
 * - approveReturn (admin): refunds the returned units' value and puts them back in stock, once
 *   (the refund's key and the restock id are the return's), so a double approve changes nothing;
 *   units go back through a StockReturnRequested event in the same transaction, so they come
 *   back exactly when the decision commits;
 * - rejectReturn (admin): closes it without money or stock moving.
 * The order's status follows (RETURN_REQUESTED, PARTIALLY_REFUNDED, REFUNDED; see afterSaleStatus).
 */
export function createAfterSaleService(deps: { store: OrderStore; returnWindowDays: number; clock?: () => Date }) {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());

  /** The transition (if any) that refunds and open returns put the locked order in. */
  function statusAfter(order: Order, refunded: number, openReturns: number, reason: string | null, at: Date): Pick<OrderUpdate, "transition" | "events"> {
    const to = afterSaleStatus({ status: order.status, total: order.total.amount, refunded, openReturns });
    return to === order.status ? { events: [] } : transitionTo(order, to, reason, at);
  }

  const openCount = (returns: readonly Return[]) => returns.filter((r) => r.status === "REQUESTED").length;

  return {
    async refundOrder(ctx: RequestContext, orderId: string, args: { amount?: number | null; reason: string; idempotencyKey: string }): Promise<Refund> {
      requireAdmin(ctx);
      const request = validRefundArguments(args);
      let refundId: string | undefined;
      await store.update(orderId, async (order, reads) => {
        if (!order) throw notFound("Order", orderId);
        const refunds = await reads.refunds();
        const key = `admin:${request.idempotencyKey}`;
        // A repeat answers with the refund it made, whatever the order's status is now.
        const repeat = refunds.find((r) => r.idempotencyKey === key);
        if (!repeat && !isRefundable(order.status)) {
          throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `Order ${orderId} is ${order.status}: only a paid order can be refunded`, { orderId, from: order.status });
        }
        if (!repeat) assertRoomForAdminRefund(order, refunds, request.amount);
        const promise = promiseRefund(order, refunds, { idempotencyKey: key, amount: request.amount, reason: request.reason, reasonIsRequested: true }, clock())!;
        refundId = promise.refund.id;
        if (!promise.created) return null;
        const at = clock();
        const refunded = order.refundedAmount + promise.refund.amount.amount;
        const status = statusAfter(order, refunded, openCount(await reads.returns()), `Refunded by an admin: ${request.reason}`, at);
        // Nothing was shipped from a PAID order refunded in full: its units go back on the shelf,
        // announced with the refund so they come back exactly when it commits.
        const restock =
          order.status === "PAID" && status.transition?.to === "REFUNDED"
            ? [stockReturnRequested({ returnId: refundRestockId(orderId), orderId, items: (await reads.items()).map(({ variantId, quantity }) => ({ variantId, quantity })) }, at)]
            : [];
        return { ...status, refunds: promise.refunds, events: [...status.events, ...promise.events, ...restock] };
      });
      const refund = (await store.findRefund(refundId!))!;
      ctx.logger.info("order refund requested", { orderId, refundId, amount: refund.amount.amount });
      return refund;
    },

    async requestReturn(
      ctx: RequestContext,
      orderId: string,
      items: readonly { variantId: string; quantity: number }[],
      reason: string,
      idempotencyKey: string | null = null,
    ): Promise<Return> {
      const { userId } = requireUser(ctx);
      const request = validReturnArguments(items, reason, idempotencyKey);
      const requestHash = returnRequestHash(request);
      let answer: { return: Return; created: boolean } | undefined;
      await store.update(orderId, async (order, reads) => {
        if (!ownedBy(order, userId)) throw notFound("Order", orderId);
        const returns = await reads.returns();
        // Under the order's lock: of concurrent calls with one key (or, without one, asking the
        // same) the first creates the return and the others find it here, committed (the unique
        // (order, key) backs this up for keys).
        const at = clock();
        const repeat = returnOfKey(returns, request, requestHash) ?? openTwinOf(returns, request, requestHash, at);
        if (repeat) {
          answer = { return: repeat, created: false };
          return null;
        }
        const orderItems = await reads.items();
        const lines = returnLines(order, orderItems, returns, request.items, at, deps.returnWindowDays);
        assertRoomForReturn(orderId, returns, lines, returnableUnits(orderItems, returns));
        const created: Return = {
          id: newEntityId("ret"),
          orderId,
          userId,
          status: "REQUESTED",
          reason: request.reason,
          decisionReason: null,
          items: lines,
          createdAt: at,
          decidedAt: null,
          idempotencyKey: request.idempotencyKey,
          requestHash,
        };
        answer = { return: created, created: true };
        const status = statusAfter(order, order.refundedAmount, openCount(returns) + 1, "Return requested by the customer", at);
        return { ...status, newReturn: created };
      });
      ctx.logger.info(answer!.created ? "return requested" : "return request repeated", { orderId, returnId: answer!.return.id });
      return answer!.return;
    },

    async approveReturn(ctx: RequestContext, returnId: string): Promise<Return> {
      requireAdmin(ctx);
      const found = await store.findReturn(returnId);
      if (!found) throw notFound("Return", returnId);
      await store.update(found.orderId, async (order, reads) => {
        if (!order) throw notFound("Order", found.orderId);
        const returns = await reads.returns();
        const current = returns.find((r) => r.id === returnId)!;
        // Approved already: one refund, one restock, however often it is approved.
        if (current.status === "APPROVED") return null;
        if (current.status === "REJECTED") throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `Return ${returnId} was rejected and cannot be approved`, { returnId, from: "REJECTED", to: "APPROVED" });
        const at = clock();
        const amount = returnRefundAmount(order, await reads.items(), current.items, returns);
        const promise =
          amount > 0
            ? promiseRefund(order, await reads.refunds(), { idempotencyKey: returnRefundKey(returnId), amount, reason: `Return ${returnId}: ${current.reason}`, returnId }, at)
            : null;
        const restock = stockReturnRequested({ returnId: returnRestockId(returnId), orderId: order.id, items: current.items.map(({ variantId, quantity }) => ({ variantId, quantity })) }, at);
        const refunded = order.refundedAmount + (promise?.created ? promise.refund.amount.amount : 0);
        const status = statusAfter(order, refunded, openCount(returns) - 1, "Return approved and refunded", at);
        return {
          ...status,
          returnDecision: { returnId, status: "APPROVED", reason: null, at },
          refunds: promise?.refunds ?? [],
          events: [...status.events, ...(promise?.events ?? []), restock],
        };
      });
      ctx.logger.info("return approved", { orderId: found.orderId, returnId });
      return (await store.findReturn(returnId))!;
    },

    async rejectReturn(ctx: RequestContext, returnId: string, reason: string): Promise<Return> {
      requireAdmin(ctx);
      const trimmed = singleLineText("reason", reason, { max: 500 });
      const found = await store.findReturn(returnId);
      if (!found) throw notFound("Return", returnId);
      await store.update(found.orderId, async (order, reads) => {
        if (!order) throw notFound("Order", found.orderId);
        const returns = await reads.returns();
        const current = returns.find((r) => r.id === returnId)!;
        if (current.status === "REJECTED") return null;
        if (current.status === "APPROVED") throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `Return ${returnId} was approved and cannot be rejected`, { returnId, from: "APPROVED", to: "REJECTED" });
        const at = clock();
        const status = statusAfter(order, order.refundedAmount, openCount(returns) - 1, `Return rejected: ${trimmed}`, at);
        return { ...status, returnDecision: { returnId, status: "REJECTED", reason: trimmed, at } };
      });
      ctx.logger.info("return rejected", { orderId: found.orderId, returnId });
      return (await store.findReturn(returnId))!;
    },
  };
}

export type AfterSaleService = ReturnType<typeof createAfterSaleService>;
