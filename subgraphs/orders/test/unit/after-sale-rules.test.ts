import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Order, OrderItem } from "../../src/domain/order.js";
import type { Refund, Return } from "../../src/domain/after-sale.js";
import { promiseRefund, validRefundArguments } from "../../src/domain/refund-plan.js";
import { assertRoomForReturn, MAX_RETURNS_PER_ORDER, returnLines, returnRefundAmount, returnRequestHash, returnableUnits, validReturnArguments } from "../../src/domain/return-rules.js";

const usd = (amount: number) => ({ amount, currency: "USD" });
const at = new Date("2026-12-01T00:00:00Z");
const order = (over: Partial<Order> = {}): Order =>
  ({
    id: "o1",
    userId: "u1",
    status: "DELIVERED",
    statusReason: null,
    total: usd(3000),
    subtotal: usd(3000),
    discountTotal: usd(0),
    shippingTotal: usd(0),
    taxTotal: usd(0),
    refundedAmount: 0,
    deliveredAt: at,
    createdAt: at,
    updatedAt: at,
    ...over,
  }) as Order;
const line = (variantId: string, quantity: number, unit = 1000) => ({ orderId: "o1", variantId, quantity, unitPrice: usd(unit) }) as OrderItem;
const ret = (status: Return["status"], items: [string, number, number][]): Return => ({
  id: `r-${Math.random()}`,
  orderId: "o1",
  userId: "u1",
  status,
  reason: "x",
  decisionReason: null,
  items: items.map(([variantId, quantity, unit]) => ({ variantId, quantity, unitPrice: usd(unit) })),
  createdAt: at,
  decidedAt: null,
  idempotencyKey: null,
  requestHash: null,
});
const codeOf = (error: unknown) => (error as { extensions: { code: string } }).extensions.code;

describe("refund and return rules", () => {
  it("counts returnable units: delivered minus requested and approved, rejected ones free again", () => {
    const left = returnableUnits([line("a", 3), line("b", 1)], [ret("APPROVED", [["a", 1, 1000]]), ret("REQUESTED", [["a", 1, 1000]]), ret("REJECTED", [["b", 1, 1000]])]);
    assert.deepEqual([...left], [["a", 1], ["b", 1]]);
  });

  it("prices a return at what was paid and refuses what cannot be returned", () => {
    const items = [line("a", 2, 1500)];
    assert.deepEqual(returnLines(order(), items, [], [{ variantId: "a", quantity: 2 }], at, 30), [{ variantId: "a", quantity: 2, unitPrice: usd(1500) }]);
    assert.throws(() => returnLines(order(), items, [], [{ variantId: "a", quantity: 3 }], at, 30), (e) => codeOf(e) === "QUANTITY_LIMIT_EXCEEDED");
    assert.throws(() => returnLines(order(), items, [], [{ variantId: "zz", quantity: 1 }], at, 30), (e) => codeOf(e) === "NOT_FOUND");
    assert.throws(() => returnLines(order({ status: "SHIPPED" }), items, [], [{ variantId: "a", quantity: 1 }], at, 30), (e) => codeOf(e) === "ILLEGAL_TRANSITION");
    const late = new Date(at.getTime() + 30 * 86_400_000 + 1);
    assert.throws(() => returnLines(order(), items, [], [{ variantId: "a", quantity: 1 }], late, 30), (e) => codeOf(e) === "RETURN_WINDOW_CLOSED");
    assert.equal(returnLines(order(), items, [], [{ variantId: "a", quantity: 1 }], new Date(late.getTime() - 1), 30).length, 1, "the last millisecond of the window still counts");
  });

  it("refuses hostile return arguments before anything is read", () => {
    assert.throws(() => validReturnArguments([], "x"), (e) => codeOf(e) === "BAD_USER_INPUT");
    assert.throws(() => validReturnArguments(Array.from({ length: 1000 }, (_, i) => ({ variantId: `v${i}`, quantity: 1 })), "x"), (e) => codeOf(e) === "BAD_USER_INPUT");
    assert.throws(() => validReturnArguments([{ variantId: "a", quantity: 0 }], "x"), (e) => codeOf(e) === "BAD_USER_INPUT");
    assert.throws(() => validReturnArguments([{ variantId: "a", quantity: 1 }], " ".repeat(3)), (e) => codeOf(e) === "BAD_USER_INPUT");
    for (const key of ["", "k".repeat(201), "a\nb"]) assert.throws(() => validReturnArguments([{ variantId: "a", quantity: 1 }], "x", key), (e) => codeOf(e) === "BAD_USER_INPUT");
  });

  it("a return's key names its lines and reason: listed in another order it is the same request, other lines or reason another", () => {
    const hash = (items: { variantId: string; quantity: number }[], reason: string) => returnRequestHash(validReturnArguments(items, reason, "k"));
    const asked = hash([{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 2 }], "Too small");
    assert.equal(hash([{ variantId: "b", quantity: 2 }, { variantId: "a", quantity: 1 }], " Too small"), asked);
    assert.notEqual(hash([{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 1 }], "Too small"), asked);
    assert.notEqual(hash([{ variantId: "a", quantity: 1 }, { variantId: "b", quantity: 2 }], "Too big"), asked);
  });

  it("refunds a return's share of discount and tax, the shares of several returns adding up to exactly what was paid for the goods", () => {
    // 3 units of 1000: 10 % off (300), 7.25 % tax on the rest (196), shipping 500 not refunded by returns.
    const o = order({ subtotal: usd(3000), discountTotal: usd(300), taxTotal: usd(196), shippingTotal: usd(500), total: usd(3396) });
    const one = [{ variantId: "a", quantity: 1, unitPrice: usd(1000) }];
    const first = returnRefundAmount(o, one, []);
    const second = returnRefundAmount(o, one, [ret("APPROVED", [["a", 1, 1000]])]);
    const third = returnRefundAmount(o, one, [ret("APPROVED", [["a", 1, 1000]]), ret("APPROVED", [["a", 1, 1000]])]);
    assert.deepEqual([first, second, third], [965, 966, 965]);
    assert.equal(first + second + third, 3000 - 300 + 196, "every cent of the goods, none of the shipping");
    assert.equal(returnRefundAmount(order(), one), 1000, "no discount or tax: the price paid");
    assert.equal(returnRefundAmount(order({ refundedAmount: 2500 }), one), 500, "capped by what is left");
    assert.equal(returnRefundAmount(order({ subtotal: usd(0), total: usd(0) }), [{ variantId: "a", quantity: 1, unitPrice: usd(0) }]), 0);
  });

  it("promises refunds within captured minus refunded, idempotently by key", () => {
    const o = order({ refundedAmount: 1000 });
    const made = promiseRefund(o, [], { idempotencyKey: "k", amount: 500, reason: "x" }, at)!;
    assert.equal(made.created, true);
    assert.equal(made.events.length, 1);
    const existing = { ...made.refund, status: "PENDING", providerRef: null, refundedAt: null } as Refund;
    assert.equal(promiseRefund(o, [existing], { idempotencyKey: "k", amount: 500, reason: "x" }, at)!.created, false);
    assert.throws(() => promiseRefund(o, [existing], { idempotencyKey: "k", amount: 501, reason: "x" }, at), (e) => codeOf(e) === "IDEMPOTENCY_CONFLICT");
    assert.throws(() => promiseRefund(o, [], { idempotencyKey: "j", amount: 2001, reason: "x" }, at), (e) => codeOf(e) === "REFUND_LIMIT_EXCEEDED");
    assert.equal(promiseRefund(o, [], { idempotencyKey: "rest", amount: null, reason: "x" }, at)!.refund.amount.amount, 2000);
    assert.equal(promiseRefund(order({ refundedAmount: 3000 }), [], { idempotencyKey: "c", amount: null, reason: "x" }, at, { quietWhenNothingLeft: true }), null);
    assert.throws(() => validRefundArguments({ amount: -5, reason: "x", idempotencyKey: "k" }), (e) => codeOf(e) === "BAD_USER_INPUT");
    assert.deepEqual(validRefundArguments({ amount: undefined, reason: " Late ", idempotencyKey: "k" }), { amount: null, reason: "Late", idempotencyKey: "k" });
  });
});

describe("returns per order (the size the schema declares for Order.returns)", () => {
  it("refuses a return request once the order holds MAX_RETURNS_PER_ORDER, rejected ones included", () => {
    const held = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, status: "REJECTED" }) as unknown as Return);
    assertRoomForReturn(held(MAX_RETURNS_PER_ORDER - 1));
    assert.throws(() => assertRoomForReturn(held(MAX_RETURNS_PER_ORDER)), /at most 10 return requests/);
  });
});
