import { createHash } from "node:crypto";
import { DomainError, ErrorCode, badInput, singleLineText, validIdempotencyKey } from "#kernel";
import type { Order, OrderItem } from "./order.js";
import type { Return, ReturnItem } from "./after-sale.js";
import { isAfterDelivery } from "./order-state-machine.js";


export const MAX_RETURN_REASON_LENGTH = 500;
/**
 * Returns one order keeps open or approved. Each takes at least one unit not yet returned or
 * pending, so splitting is the customer's choice; a customer may split freely until the last of
 * these, which must take every unit still returnable (so none is ever left unreturnable: the
 * same rule as an admin's last refund).
 */
export const MAX_KEPT_RETURNS_PER_ORDER = 20;
/**
 * Rejected returns one order holds. A rejected request may be asked again; this cap alone
 * stops the list growing without end. Past it the customer is sent to customer service, where
 * an admin can still refund (refundOrder).
 */
export const MAX_REJECTED_RETURNS_PER_ORDER = 5;
/**
 * Returns one order holds at most: the size the schema declares for Order.returns, which the
 * gateway's cost measure counts (the order page's OrderAfterSale selects each return's lines).
 */
export const MAX_RETURNS_PER_ORDER = MAX_KEPT_RETURNS_PER_ORDER + MAX_REJECTED_RETURNS_PER_ORDER;
/**
 * Status changes one order holds at most (Order.statusHistory's declared size): a return can
 * move the order into RETURN_REQUESTED and its decision out of it, and the way to delivery,
 * payment and refunds take fewer than 10 more.
 */
export const MAX_STATUS_CHANGES_PER_ORDER = 2 * MAX_RETURNS_PER_ORDER + 10;

/**
 * Refuses a return that would take the order's returns past their caps, judged after its units
 * were found returnable (`lines`, see returnLines) on the returns the order holds: a customer
 * is never refused units for the count alone while fewer than MAX_KEPT_RETURNS_PER_ORDER − 1
 * returns are open or approved; the last one must take every unit still returnable (`left`,
 * see returnableUnits), and the message lists them.
 */
export function assertRoomForReturn(orderId: string, returns: readonly Return[], lines: readonly { variantId: string; quantity: number }[], left: ReadonlyMap<string, number>): void {
  const rejected = returns.filter((r) => r.status === "REJECTED").length;
  if (rejected >= MAX_REJECTED_RETURNS_PER_ORDER) {
    throw badInput(
      `${rejected} return requests of order ${orderId} were rejected, the most one order takes; ask customer service, who can still refund what is due`,
      { field: "items", orderId, rejected, limit: MAX_REJECTED_RETURNS_PER_ORDER },
    );
  }
  const kept = returns.length - rejected;
  if (kept < MAX_KEPT_RETURNS_PER_ORDER - 1) return;
  const asked = new Map(lines.map((line) => [line.variantId, line.quantity]));
  const missing = [...left].filter(([variantId, units]) => units > 0 && (asked.get(variantId) ?? 0) < units);
  if (kept >= MAX_KEPT_RETURNS_PER_ORDER || missing.length > 0) {
    const rest = [...left].filter(([, units]) => units > 0).map(([variantId, units]) => `${units} × ${variantId}`).join(", ");
    throw badInput(
      `Order ${orderId} takes at most ${MAX_KEPT_RETURNS_PER_ORDER} returns that are open or approved; this is its last, so it must take every unit still returnable: ${rest}`,
      { field: "items", orderId, limit: MAX_KEPT_RETURNS_PER_ORDER, returnable: Object.fromEntries([...left].filter(([, units]) => units > 0)) },
    );
  }
}
const DAY_MS = 86_400_000;

/**
 * Units of each variant that may still be sent back: delivered minus those in returns that
 * are open or approved (a rejected return gives its units back to the count).
 */
export function returnableUnits(items: readonly OrderItem[], returns: readonly Return[]): Map<string, number> {
  const left = new Map(items.map((item) => [item.variantId, item.quantity]));
  for (const r of returns) {
    if (r.status === "REJECTED") continue;
    for (const item of r.items) left.set(item.variantId, (left.get(item.variantId) ?? 0) - item.quantity);
  }
  return left;
}

/** A return request as checked: its lines (each variant once), reason and the customer's key (null: none sent). */
export interface ReturnRequest {
  items: { variantId: string; quantity: number }[];
  reason: string;
  idempotencyKey: string | null;
}

/** The customer's arguments, checked before anything is locked: shape and size only. */
export function validReturnArguments(items: readonly { variantId: string; quantity: number }[], reason: string, idempotencyKey: string | null = null): ReturnRequest {
  if (items.length === 0) throw badInput("A return needs at least one item", { field: "items" });
  // An order holds at most a cart's lines; far more lines than that is not a real request.
  if (items.length > 200) throw badInput("A return lists at most 200 items", { field: "items" });
  const merged = new Map<string, number>();
  for (const { variantId, quantity } of items) {
    if (variantId.length === 0 || variantId.length > 200) throw badInput("variantId must be 1 to 200 characters", { field: "variantId" });
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 1_000_000) throw badInput("quantity must be a whole number of at least 1", { field: "quantity", variantId });
    if (merged.has(variantId)) throw badInput(`Variant ${variantId} is listed twice`, { field: "items", variantId });
    merged.set(variantId, quantity);
  }
  const trimmed = singleLineText("reason", reason, { max: MAX_RETURN_REASON_LENGTH });
  return {
    items: [...merged].map(([variantId, quantity]) => ({ variantId, quantity })),
    reason: trimmed,
    idempotencyKey: idempotencyKey === null ? null : validIdempotencyKey(idempotencyKey),
  };
}

/**
 * What a return asks for, as its key's fingerprint: the lines (in variant order, so the order
 * they were listed in does not matter) and the reason. A retry asks the same; anything else
 * under the key is another request.
 */
export function returnRequestHash(request: Pick<ReturnRequest, "items" | "reason">): string {
  const lines = [...request.items].sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0)).map((i) => [i.variantId, i.quantity]);
  return createHash("sha256").update(JSON.stringify([lines, request.reason])).digest("hex");
}

/**
 * The return a key already names on the order, if any: a retry is answered with it whatever
 * happened since (decided, the window closed, its units no longer returnable); another request
 * under the key is IDEMPOTENCY_CONFLICT.
 */
export function returnOfKey(returns: readonly Return[], request: ReturnRequest, requestHash: string): Return | undefined {
  if (request.idempotencyKey === null) return undefined;
  const same = returns.find((r) => r.idempotencyKey === request.idempotencyKey);
  if (same && same.requestHash !== requestHash) {
    throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, `Idempotency key ${request.idempotencyKey} already names another return of order ${same.orderId}; use a new key for a new return`, {
      orderId: same.orderId,
      returnId: same.id,
    });
  }
  return same;
}

/**
 * How long a request without a key may be a repeat of an open return asking the same: a
 * double click, or a retry after a lost answer (the gateway's deadline, a client's retries).
 * Past it the same lines with the same reason are a new request, whatever is still open.
 */
export const KEYLESS_RETURN_REPEAT_MS = 10 * 60_000;

/**
 * The open return a request without a key repeats, if any: one still REQUESTED, made within
 * KEYLESS_RETURN_REPEAT_MS, that asks for the same lines with the same reason (its stored
 * hash; a return stored without one is hashed from its lines). Without a key nothing else
 * tells a double click, or a retry after a lost answer, from a new request; judged under the
 * order's lock, the twin of a request committed a moment earlier is found here, so a double
 * submit makes one return, as it does with a key. Once that return is decided, or older than
 * the bound, the same request is a new one (a rejected request may be asked again; a customer
 * returning one more unit later is not told about the first).
 */
export function openTwinOf(returns: readonly Return[], request: ReturnRequest, requestHash: string, now: Date): Return | undefined {
  if (request.idempotencyKey !== null) return undefined;
  const since = now.getTime() - KEYLESS_RETURN_REPEAT_MS;
  return returns.find((r) => r.status === "REQUESTED" && r.createdAt.getTime() >= since && (r.requestHash ?? returnRequestHash(r)) === requestHash);
}

/**
 * When an order's return window opened: its delivery. A delivered order that never recorded
 * when (delivered before the time was kept, its history holding no DELIVERED change) counts
 * from its placement, the last time that stays put: its updatedAt moves with every refund,
 * return and decision, and a window counted from it would open again with each of them.
 */
export function returnWindowOpensAt(order: Pick<Order, "deliveredAt" | "createdAt">): Date {
  return order.deliveredAt ?? order.createdAt;
}

/**
 * Why a return cannot be asked for, as the customer can act on it: an order on its way is
 * returned once delivered; an ended one never will be. REFUNDED may have ended before shipping
 * (an admin's full refund of a PAID order) or after delivery: either way all the money is back
 * and a return would refund nothing.
 */
function whyNoReturn(order: Order): string {
  if (order.status === "REFUNDED") return `Order ${order.id} was refunded in full (${order.status}): there is nothing left to return it for`;
  if (order.status === "CANCELLED" || order.status === "PAYMENT_FAILED") return `Order ${order.id} is ${order.status}: nothing was sent, so there is nothing to return`;
  return `Order ${order.id} is ${order.status}: returns can be requested once it is delivered`;
}

/**
 * The lines of a return on a locked order: only after delivery, within the window, variants
 * the order bought, no more units than are still returnable; priced at what the order paid.
 */
export function returnLines(
  order: Order,
  orderItems: readonly OrderItem[],
  returns: readonly Return[],
  requested: readonly { variantId: string; quantity: number }[],
  now: Date,
  windowDays: number,
): ReturnItem[] {
  if (!isAfterDelivery(order.status)) {
    throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, whyNoReturn(order), { orderId: order.id, from: order.status });
  }
  const closesAt = new Date(returnWindowOpensAt(order).getTime() + windowDays * DAY_MS);
  if (now.getTime() > closesAt.getTime()) {
    throw new DomainError(ErrorCode.RETURN_WINDOW_CLOSED, `The return window of order ${order.id} closed on ${closesAt.toISOString()}`, { orderId: order.id, closedAt: closesAt.toISOString() });
  }
  const left = returnableUnits(orderItems, returns);
  const priced = new Map(orderItems.map((item) => [item.variantId, item.unitPrice]));
  return requested.map(({ variantId, quantity }) => {
    const unitPrice = priced.get(variantId);
    if (!unitPrice) throw new DomainError(ErrorCode.NOT_FOUND, `Order ${order.id} has no line of variant ${variantId}`, { orderId: order.id, variantId });
    const returnable = Math.max(0, left.get(variantId) ?? 0);
    if (quantity > returnable) {
      throw new DomainError(ErrorCode.QUANTITY_LIMIT_EXCEEDED, `Only ${returnable} unit(s) of ${variantId} can still be returned`, { variantId, returnable });
    }
    return { variantId, quantity, unitPrice };
  });
}

const valueOf = (items: readonly ReturnItem[]) => items.reduce((sum, item) => sum + item.unitPrice.amount * item.quantity, 0);

/** Units of each variant in the order's approved returns. */
function unitsApproved(returns: readonly Return[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const r of returns) {
    if (r.status !== "APPROVED") continue;
    for (const item of r.items) units.set(item.variantId, (units.get(item.variantId) ?? 0) + item.quantity);
  }
  return units;
}

/**
 * What the customer paid for a line's goods: its price, less its share of the discount as
 * checkout allocated it, plus the tax the line bore. Null when not recorded for the line.
 */
function linePaid(item: OrderItem): number | null {
  if (item.discount === null || item.tax === null) return null;
  return item.unitPrice.amount * item.quantity - item.discount.amount + item.tax.amount;
}

/**
 * What the first `units` of a line's `quantity` units cost, the line having cost `paid`:
 * paid × units / quantity, rounded half up. Each unit is charged the difference of two
 * consecutive counts, so every unit costs the line's price per unit within a cent, and all of
 * the line's units, however split over returns and in whatever order, cost exactly `paid`.
 */
function paidForUnits(paid: number, quantity: number, units: number): number {
  if (quantity <= 0) return 0;
  return Math.floor((2 * paid * units + quantity) / (2 * quantity));
}

/**
 * Orders whose lines do not say what they were charged (placed before it was recorded): the
 * returned value's share of what the goods cost in all, value × (subtotal − discount + tax) /
 * subtotal, rounded half up. Such orders from before discounts and tax have subtotal = total
 * and neither, so the share is the value.
 */
function valueShare(order: Order, value: number): number {
  const subtotal = order.subtotal.amount;
  if (subtotal <= 0) return 0;
  const goods = subtotal - order.discountTotal.amount + order.taxTotal.amount;
  return Math.floor((value * goods * 2 + subtotal) / (subtotal * 2));
}

/**
 * What an approved return gives back: each returned unit what checkout charged it, its price
 * less its share of its line's discount plus its share of the tax its line bore (tax is charged
 * per line, at the line's own rate, so a unit carries its own line's tax and no other's). A
 * line's units are counted on from those of earlier approved returns (see paidForUnits), so
 * the returns of every unit of a line add up to exactly what the line cost, and of every line
 * to the order's goods: its total less shipping, which a return does not give back. Capped by
 * what is still refundable (an admin may have refunded part already). An order whose lines do
 * not say what they were charged is refunded by value share (see valueShare), on the running
 * total of its approved returns, which adds up the same way.
 */
export function returnRefundAmount(order: Order, orderItems: readonly OrderItem[], items: readonly ReturnItem[], approvedBefore: readonly Return[] = []): number {
  const lines = new Map(orderItems.map((item) => [item.variantId, item]));
  let share = 0;
  if (orderItems.length > 0 && orderItems.every((item) => linePaid(item) !== null)) {
    const before = unitsApproved(approvedBefore);
    for (const { variantId, quantity } of items) {
      const line = lines.get(variantId);
      if (!line) continue;
      const paid = linePaid(line)!;
      const earlier = before.get(variantId) ?? 0;
      share += paidForUnits(paid, line.quantity, earlier + quantity) - paidForUnits(paid, line.quantity, earlier);
    }
  } else {
    const before = valueOf(approvedBefore.filter((r) => r.status === "APPROVED").flatMap((r) => r.items));
    share = valueShare(order, before + valueOf(items)) - valueShare(order, before);
  }
  return Math.max(0, Math.min(share, order.total.amount - order.refundedAmount));
}
