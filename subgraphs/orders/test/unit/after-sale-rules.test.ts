import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Order, OrderItem } from "../../src/domain/order.js";
import type { Refund, Return } from "../../src/domain/after-sale.js";
import { assertRoomForAdminRefund, MAX_ADMIN_REFUNDS_PER_ORDER, MAX_REFUNDS_PER_ORDER, promiseRefund, validRefundArguments } from "../../src/domain/refund-plan.js";
import { assertRoomForReturn, MAX_KEPT_RETURNS_PER_ORDER, MAX_REJECTED_RETURNS_PER_ORDER, MAX_RETURNS_PER_ORDER, returnLines, returnRefundAmount, returnRequestHash, returnableUnits, validReturnArguments } from "../../src/domain/return-rules.js";
import { computeOrderTotals } from "../../../cart/src/pricing/order-totals.js";
import type { Coupon, TaxRate } from "../../../cart/src/pricing/pricing-types.js";

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
const line = (variantId: string, quantity: number, unit = 1000) => ({ orderId: "o1", variantId, quantity, unitPrice: usd(unit), discount: null, tax: null }) as OrderItem;
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
/** A seeded generator (mulberry32): the property test is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const coupon = (type: Coupon["type"], value: number): Coupon => ({ id: "c", code: "C", type, value, currency: type === "FIXED_AMOUNT" ? "USD" : null, minSubtotalAmount: 0, startsAt: null, endsAt: null }) as Coupon;
const percentOff = (basisPoints: number) => coupon("PERCENTAGE", basisPoints);
const amountOff = (amount: number) => coupon("FIXED_AMOUNT", amount);

/** An order and its lines as checkout prices and places them (the cart's one pricing function), shipped to Illinois. */
function placed(lines: readonly { variantId: string; category: string | null; unit: number; quantity: number }[], taxRates: TaxRate[], discount: Coupon | null, shipping: number) {
  const shippingMethod = { id: "s", name: "s", price: usd(shipping), countries: ["US"], freeOver: null, minDeliveryDays: 1, maxDeliveryDays: 2 };
  const totals = computeOrderTotals({
    currency: "USD",
    lines: lines.map((l) => ({ variantId: l.variantId, category: l.category, unitPrice: usd(l.unit), quantity: l.quantity })),
    coupon: discount,
    shipping: shippingMethod,
    taxRates,
    destination: { country: "US", region: "IL" },
  });
  const o = order({ subtotal: totals.subtotal, discountTotal: totals.discountTotal, shippingTotal: totals.shippingTotal, taxTotal: totals.taxTotal, total: totals.total });
  const items = lines.map((l, i) => ({ ...line(l.variantId, l.quantity, l.unit), discount: totals.lines[i]!.discount, tax: totals.lines[i]!.tax }));
  return { o, items, goods: totals.subtotal.amount - totals.discountTotal.amount + totals.taxTotal.amount };
}
const approved = (units: readonly (readonly [OrderItem, number])[]) => ret("APPROVED", units.map(([item, n]) => [item.variantId, n, item.unitPrice.amount]));
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
    assert.throws(() => returnLines(order({ status: "SHIPPED" }), items, [], [{ variantId: "a", quantity: 1 }], at, 30), (e) => codeOf(e) === "ILLEGAL_TRANSITION" && /once it is delivered/.test((e as Error).message));
    // An ended order will never be delivered (or was, and is refunded in full): not told to wait for a delivery.
    for (const status of ["REFUNDED", "CANCELLED", "PAYMENT_FAILED"] as const) {
      assert.throws(
        () => returnLines(order({ status }), items, [], [{ variantId: "a", quantity: 1 }], at, 30),
        (e) => codeOf(e) === "ILLEGAL_TRANSITION" && (e as Error).message.includes(status) && !/once it is delivered/.test((e as Error).message),
        status,
      );
    }
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

  it("orders whose lines do not say what they were charged (placed before it was recorded) refund the return's value share, the shares adding up to what was paid for the goods", () => {
    // 3 units of 1000: 10 % off (300), 7.25 % tax on the rest (196), shipping 500 not refunded by returns.
    const o = order({ subtotal: usd(3000), discountTotal: usd(300), taxTotal: usd(196), shippingTotal: usd(500), total: usd(3396) });
    const items = [line("a", 3)];
    const one = [{ variantId: "a", quantity: 1, unitPrice: usd(1000) }];
    const first = returnRefundAmount(o, items, one, []);
    const second = returnRefundAmount(o, items, one, [ret("APPROVED", [["a", 1, 1000]])]);
    const third = returnRefundAmount(o, items, one, [ret("APPROVED", [["a", 1, 1000]]), ret("APPROVED", [["a", 1, 1000]])]);
    assert.deepEqual([first, second, third], [965, 966, 965]);
    assert.equal(first + second + third, 3000 - 300 + 196, "every cent of the goods, none of the shipping");
    assert.equal(returnRefundAmount(order(), items, one), 1000, "no discount or tax: the price paid");
    assert.equal(returnRefundAmount(order({ refundedAmount: 2500 }), items, one), 500, "capped by what is left");
    assert.equal(returnRefundAmount(order({ subtotal: usd(0), total: usd(0) }), [line("a", 1, 0)], [{ variantId: "a", quantity: 1, unitPrice: usd(0) }]), 0);
  });

  it("refunds a returned line what it was charged: an untaxed line its price, a taxed one its price and its own tax (not a share of the order's)", () => {
    // The attack run's order: groceries untaxed, electronics at 20 % in Illinois.
    const rates: TaxRate[] = [{ countryCode: "US", region: "IL", category: "electronics", rateBasisPoints: 2000 }];
    const { o, items } = placed([{ variantId: "grocery", category: "grocery", unit: 10_000, quantity: 1 }, { variantId: "tv", category: "electronics", unit: 10_000, quantity: 1 }], rates, null, 0);
    assert.equal(o.total.amount, 22_000);
    assert.equal(returnRefundAmount(o, items, [{ variantId: "grocery", quantity: 1, unitPrice: usd(10_000) }]), 10_000, "the untaxed line: its price, no one else's tax");
    assert.equal(returnRefundAmount(o, items, [{ variantId: "tv", quantity: 1, unitPrice: usd(10_000) }]), 12_000, "the taxed line: its price and its tax");
    // With a 10 % coupon, each line gives back its price less its share of the discount, plus its own tax on the rest.
    const withCoupon = placed([{ variantId: "grocery", category: "grocery", unit: 10_000, quantity: 1 }, { variantId: "tv", category: "electronics", unit: 10_000, quantity: 1 }], rates, percentOff(1000), 0);
    assert.equal(returnRefundAmount(withCoupon.o, withCoupon.items, [{ variantId: "grocery", quantity: 1, unitPrice: usd(10_000) }]), 9_000);
    assert.equal(returnRefundAmount(withCoupon.o, withCoupon.items, [{ variantId: "tv", quantity: 1, unitPrice: usd(10_000) }]), 10_800);
  });

  it("property: random orders with mixed tax rates and discounts, returned in random partial returns: each refund is the sum of its units' charges, all of them together exactly what the goods cost, never beyond what was captured", () => {
    const random = seeded(20261205);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
    const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    const categories = [null, "books", "electronics", "grocery", "toys"] as const;
    for (let run = 0; run < 400; run++) {
      const rates: TaxRate[] = [
        ...(random() < 0.7 ? [{ countryCode: "US", region: null, category: null, rateBasisPoints: between(0, 2500) }] : []),
        ...categories.filter((c) => c !== null && random() < 0.5).map((category) => ({ countryCode: "US", region: pick(["IL", null]), category, rateBasisPoints: pick([0, 500, 625, 725, 1000, 2000, between(1, 3000)]) })),
      ];
      const lines = Array.from({ length: between(1, 5) }, (_, i) => ({ variantId: `v${i}`, category: pick(categories), unit: pick([1, 3, 99, 999, between(1, 50_000)]), quantity: between(1, 7) }));
      const value = lines.reduce((sum, l) => sum + l.unit * l.quantity, 0);
      const coupon = pick([null, percentOff(between(1, 10_000)), percentOff(pick([1000, 3333, 10_000])), amountOff(between(1, value)), amountOff(value + 5)]);
      const { o, items, goods } = placed(lines, rates, coupon, pick([0, 499, between(0, 2000)]));
      // What each unit was charged, by returning the units of each line one at a time.
      const unitCharges = new Map<string, number[]>();
      for (const item of items) {
        const charges: number[] = [];
        for (let k = 0; k < item.quantity; k++) charges.push(returnRefundAmount(o, items, [{ variantId: item.variantId, quantity: 1, unitPrice: item.unitPrice }], k === 0 ? [] : [approved([[item, k]])]));
        const paid = item.unitPrice.amount * item.quantity - item.discount!.amount + item.tax!.amount;
        assert.equal(charges.reduce((a, b) => a + b, 0), paid, `run ${run}: the units of ${item.variantId} cost its line exactly`);
        for (const charge of charges) assert.ok(Math.abs(charge * item.quantity - paid) < item.quantity, `run ${run}: each unit within a cent of its share of the line`);
        unitCharges.set(item.variantId, charges);
      }
      // Random partial returns, in random order, until every unit is back.
      const left = new Map(items.map((item) => [item.variantId, item.quantity]));
      const done: Return[] = [];
      let refunded = 0;
      while ([...left.values()].some((n) => n > 0)) {
        const asked = items.filter((item) => left.get(item.variantId)! > 0 && random() < 0.6).map((item) => [item, between(1, left.get(item.variantId)!)] as const);
        if (asked.length === 0) continue;
        const refund = returnRefundAmount({ ...o, refundedAmount: refunded }, items, asked.map(([item, n]) => ({ variantId: item.variantId, quantity: n, unitPrice: item.unitPrice })), done);
        const expected = asked.reduce((sum, [item, n]) => {
          const earlier = item.quantity - left.get(item.variantId)!;
          return sum + unitCharges.get(item.variantId)!.slice(earlier, earlier + n).reduce((a, b) => a + b, 0);
        }, 0);
        assert.equal(refund, expected, `run ${run}: a refund is the sum of its units' charges`);
        assert.ok(refund <= o.total.amount - refunded, `run ${run}: never beyond what is left of the capture`);
        refunded += refund;
        for (const [item, n] of asked) left.set(item.variantId, left.get(item.variantId)! - n);
        done.push(approved(asked));
      }
      assert.equal(refunded, goods, `run ${run}: every unit back refunds exactly what the goods cost with their tax`);
      assert.equal(goods, o.total.amount - o.shippingTotal.amount, `run ${run}: which is the capture less shipping`);
    }
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
  const held = (statuses: Record<string, number>) =>
    Object.entries(statuses).flatMap(([status, n]) => Array.from({ length: n }, (_, i) => ({ id: `${status}${i}`, status, items: [] }) as unknown as Return));
  const left = new Map([["v1", 3], ["v2", 0], ["v3", 2]]);

  it("never refuses returnable units for the count while fewer than MAX_KEPT_RETURNS_PER_ORDER - 1 returns are open or approved, rejected ones aside (attack run 4, F1)", () => {
    assertRoomForReturn("o1", held({ APPROVED: 10 }), [{ variantId: "v1", quantity: 1 }], left);
    assertRoomForReturn("o1", held({ APPROVED: MAX_KEPT_RETURNS_PER_ORDER - 3, REQUESTED: 1, REJECTED: MAX_REJECTED_RETURNS_PER_ORDER - 1 }), [{ variantId: "v1", quantity: 1 }], left);
  });

  it("lets the last kept return take every unit still returnable, and refuses it taking fewer, naming them", () => {
    const full = held({ APPROVED: MAX_KEPT_RETURNS_PER_ORDER - 1 });
    assertRoomForReturn("o1", full, [{ variantId: "v1", quantity: 3 }, { variantId: "v3", quantity: 2 }], left);
    assert.throws(
      () => assertRoomForReturn("o1", full, [{ variantId: "v1", quantity: 3 }, { variantId: "v3", quantity: 1 }], left),
      (e) => codeOf(e) === "BAD_USER_INPUT" && /this is its last, so it must take every unit still returnable: 3 × v1, 2 × v3/.test((e as Error).message),
    );
  });

  it("refuses a request once MAX_REJECTED_RETURNS_PER_ORDER were rejected, so rejections cannot grow the list forever", () => {
    assert.throws(() => assertRoomForReturn("o1", held({ REJECTED: MAX_REJECTED_RETURNS_PER_ORDER }), [{ variantId: "v1", quantity: 1 }], left), /5 return requests of order o1 were rejected/);
    assert.equal(MAX_RETURNS_PER_ORDER, MAX_KEPT_RETURNS_PER_ORDER + MAX_REJECTED_RETURNS_PER_ORDER);
  });
});

describe("admin refunds per order (Order.refunds' declared size)", () => {
  const admin = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `f${i}`, idempotencyKey: `admin:k${i}` }) as unknown as Refund);
  const o = order({ total: usd(10_000), refundedAmount: 800 });

  it("always lets the last admin refund take all that is left, and refuses a partial one then, naming the rest (attack run 4, F2)", () => {
    assertRoomForAdminRefund(o, admin(MAX_ADMIN_REFUNDS_PER_ORDER - 2), 100);
    assertRoomForAdminRefund(o, admin(MAX_ADMIN_REFUNDS_PER_ORDER - 1), null);
    assertRoomForAdminRefund(o, admin(MAX_ADMIN_REFUNDS_PER_ORDER - 1), 9200);
    // Orders given 9 partial refunds before this rule keep the rest within reach.
    assertRoomForAdminRefund(o, admin(MAX_ADMIN_REFUNDS_PER_ORDER), null);
    assert.throws(() => assertRoomForAdminRefund(o, admin(MAX_ADMIN_REFUNDS_PER_ORDER - 1), 100), (e) => codeOf(e) === "BAD_USER_INPUT" && /refunds all that is left, 9200/.test((e as Error).message));
    assert.equal(MAX_REFUNDS_PER_ORDER, MAX_KEPT_RETURNS_PER_ORDER + MAX_ADMIN_REFUNDS_PER_ORDER + 1);
  });
});
