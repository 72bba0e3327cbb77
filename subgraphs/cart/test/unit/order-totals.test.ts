import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { couponWith } from "../support/coupon-fixture.js";
import { allocate, computeOrderTotals, roundHalfUp, type PricingLine } from "../../src/pricing/order-totals.js";
import { taxRateFor } from "../../src/pricing/tax-rate.js";
import type { Coupon, ShippingMethod, TaxRate } from "../../src/pricing/pricing-types.js";

const usd = (amount: number) => ({ amount, currency: "USD" });
const line = (variantId: string, amount: number, quantity = 1, category: string | null = "books"): PricingLine => ({ variantId, category, unitPrice: usd(amount), quantity });
const coupon = couponWith;
const standard: ShippingMethod = { id: "shp", name: "Standard", price: usd(499), countries: ["US"], freeOver: usd(5000), minDeliveryDays: 3, maxDeliveryDays: 5 };
const us = { country: "US", region: "CA" };

function totals(lines: PricingLine[], options: { coupon?: Coupon; shipping?: ShippingMethod; rates?: TaxRate[] } = {}) {
  return computeOrderTotals({ currency: "USD", lines, coupon: options.coupon ?? null, shipping: options.shipping ?? null, taxRates: options.rates ?? [], destination: us });
}

/** total = subtotal - discount + shipping + tax, and the lines add up to the order's figures. */
function assertAddsUp(result: ReturnType<typeof totals>): void {
  const sum = (pick: (l: (typeof result.lines)[number]) => number) => result.lines.reduce((s, l) => s + pick(l), 0);
  assert.equal(result.total.amount, result.subtotal.amount - result.discountTotal.amount + result.shippingTotal.amount + result.taxTotal.amount);
  assert.equal(sum((l) => l.subtotal.amount), result.subtotal.amount);
  assert.equal(sum((l) => l.discount.amount), result.discountTotal.amount);
  assert.equal(sum((l) => l.tax.amount), result.taxTotal.amount);
}

describe("order totals", () => {
  it("rounds half up: 0.5 of a minor unit goes up, 0.49 down", () => {
    assert.equal(roundHalfUp(5n, 10n), 1n);
    assert.equal(roundHalfUp(49n, 100n), 0n);
    assert.equal(roundHalfUp(150n, 100n), 2n);
    assert.equal(roundHalfUp(0n, 7n), 0n);
  });

  it("taxes each line on its own and rounds per line: 3 lines of 5 cents at 10 % are 3 x 1 cent, not 2 cents", () => {
    const result = totals([line("a", 5), line("b", 5), line("c", 5)], { rates: [{ countryCode: "US", region: null, category: null, rateBasisPoints: 1000 }] });
    assert.deepEqual(result.lines.map((l) => l.tax.amount), [1, 1, 1]);
    assert.equal(result.taxTotal.amount, 3);
    assertAddsUp(result);
  });

  it("a percentage coupon is basis points of the subtotal, rounded half up", () => {
    assert.equal(totals([line("a", 1005)], { coupon: coupon({ value: 1000 }) }).discountTotal.amount, 101); // 100.5 -> 101
    assert.equal(totals([line("a", 1004)], { coupon: coupon({ value: 1000 }) }).discountTotal.amount, 100); // 100.4 -> 100
  });

  it("a fixed coupon takes its amount, never more than the subtotal", () => {
    assert.equal(totals([line("a", 1000)], { coupon: coupon({ type: "FIXED_AMOUNT", value: 300, currency: "USD" }) }).discountTotal.amount, 300);
    const capped = totals([line("a", 200)], { coupon: coupon({ type: "FIXED_AMOUNT", value: 300, currency: "USD" }) });
    assert.equal(capped.discountTotal.amount, 200);
    assert.equal(capped.total.amount, 0);
  });

  it("shares the discount over the lines in proportion, the leftover cents to the largest remainders, exactly", () => {
    // 100 cents over 3 equal lines: 34 + 33 + 33, the first line winning the tie.
    assert.deepEqual(allocate(100n, [1n, 1n, 1n]), [34n, 33n, 33n]);
    const result = totals([line("a", 333), line("b", 333), line("c", 334)], { coupon: coupon({ type: "FIXED_AMOUNT", value: 100, currency: "USD" }) });
    assert.deepEqual(result.lines.map((l) => l.discount.amount), [33, 33, 34]);
    assertAddsUp(result);
  });

  it("taxes a line's amount after its share of the discount", () => {
    const result = totals([line("a", 1000)], { coupon: coupon({ value: 2000 }), rates: [{ countryCode: "US", region: null, category: null, rateBasisPoints: 1900 }] });
    assert.equal(result.discountTotal.amount, 200);
    assert.equal(result.taxTotal.amount, 152); // 19 % of 800
    assert.equal(result.total.amount, 952);
    assertAddsUp(result);
  });

  it("charges shipping until the subtotal after discount reaches the free-over amount, and does not tax it", () => {
    const rates = [{ countryCode: "US", region: null, category: null, rateBasisPoints: 1000 }];
    const below = totals([line("a", 4999)], { shipping: standard, rates });
    assert.equal(below.shippingTotal.amount, 499);
    assert.equal(below.taxTotal.amount, 500, "10 % of the lines only");
    assert.equal(totals([line("a", 5000)], { shipping: standard }).shippingTotal.amount, 0);
    assert.equal(totals([line("a", 5500)], { shipping: standard, coupon: coupon({ value: 1000 }) }).shippingTotal.amount, 499, "5500 - 550 is below 5000");
    assertAddsUp(below);
  });

  it("prices the largest order one charge can take, and refuses one a unit past it, products, tax or shipping", () => {
    const rates = [{ countryCode: "US", region: null, category: null, rateBasisPoints: 1_000 }];
    // 90,909,090 + 10 % tax = 99,999,999: exactly what one charge can take.
    const largest = totals([line("a", 90_909_090, 1)], { rates });
    assertAddsUp(largest);
    assert.equal(largest.total.amount, 99_999_999);
    const refusedAt = (run: () => unknown) =>
      assert.throws(run, (error: { extensions?: { code?: string; limit?: number } }) => error.extensions?.code === "BAD_USER_INPUT" && error.extensions.limit === 99_999_999);
    refusedAt(() => totals([line("a", 90_909_091, 1)], { rates }));
    refusedAt(() => totals([line("a", 50_000_000, 2)], {}));
    refusedAt(() => totals([line("a", 99_999_999, 1)], { shipping: { ...standard, freeOver: null } }));
  });

  it("an empty cart costs nothing but shipping", () => {
    const result = totals([], { shipping: standard, coupon: coupon({ value: 5000 }) });
    assert.deepEqual([result.subtotal.amount, result.discountTotal.amount, result.taxTotal.amount, result.total.amount], [0, 0, 0, 499]);
  });
});

describe("the most specific tax rate", () => {
  const rates: TaxRate[] = [
    { countryCode: "US", region: null, category: null, rateBasisPoints: 500 },
    { countryCode: "US", region: null, category: "books", rateBasisPoints: 0 },
    { countryCode: "US", region: "CA", category: null, rateBasisPoints: 725 },
    { countryCode: "US", region: "CA", category: "electronics", rateBasisPoints: 900 },
    { countryCode: "DE", region: null, category: null, rateBasisPoints: 1900 },
  ];
  it("region and category first, then region, then country and category, then country", () => {
    assert.equal(taxRateFor(rates, { country: "US", region: "CA" }, "electronics"), 900);
    assert.equal(taxRateFor(rates, { country: "US", region: "CA" }, "books"), 725, "a region's rate beats the country's category rate");
    assert.equal(taxRateFor(rates, { country: "US", region: "NY" }, "books"), 0);
    assert.equal(taxRateFor(rates, { country: "US", region: "NY" }, "toys"), 500);
    assert.equal(taxRateFor(rates, { country: "US", region: null }, "electronics"), 500);
  });
  it("compares regions and categories without case, and knows no rate for an unknown country", () => {
    assert.equal(taxRateFor(rates, { country: "US", region: "ca" }, "ELECTRONICS"), 900);
    assert.equal(taxRateFor(rates, { country: "FR", region: null }, "books"), 0);
  });
});
