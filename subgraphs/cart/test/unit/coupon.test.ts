import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { couponWith } from "../support/coupon-fixture.js";
import { couponProblem, normaliseCouponCode } from "../../src/pricing/coupon.js";
import { validCoupon, validShippingMethod, validTaxRate } from "../../src/pricing/pricing-input.js";

const now = new Date("2026-12-03T12:00:00Z");
const coupon = couponWith;
const cart = { currency: "USD", subtotal: 5000, now, usedByCustomer: 0 };
const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

describe("coupon rules", () => {
  it("codes compare without case or surrounding spaces, and odd text is no code", () => {
    assert.equal(normaliseCouponCode("  save10 "), "SAVE10");
    for (const odd of ["", "SAVE 10", "x".repeat(41), "SAVE\u0000", "-LEAD"]) assert.equal(normaliseCouponCode(odd), null, JSON.stringify(odd));
  });

  it("applies inside its window only: the start inclusive, the end exclusive", () => {
    const windowed = coupon({ startsAt: now, endsAt: new Date(now.getTime() + 1000) });
    assert.equal(couponProblem(windowed, cart), null);
    assert.equal(couponProblem(windowed, { ...cart, now: new Date(now.getTime() - 1) }), "NOT_STARTED");
    assert.equal(couponProblem(windowed, { ...cart, now: new Date(now.getTime() + 1000) }), "EXPIRED");
  });

  it("needs the minimum subtotal, the coupon's currency, an active flag and room in both limits", () => {
    assert.equal(couponProblem(coupon({ minSubtotalAmount: 5000, currency: "USD" }), cart), null);
    assert.equal(couponProblem(coupon({ minSubtotalAmount: 5001, currency: "USD" }), cart), "MINIMUM_NOT_MET");
    assert.equal(couponProblem(coupon({ type: "FIXED_AMOUNT", value: 500, currency: "EUR" }), cart), "CURRENCY_MISMATCH");
    assert.equal(couponProblem(coupon({ active: false }), cart), "INACTIVE");
    assert.equal(couponProblem(coupon({ usageLimit: 50, redeemedCount: 50 }), cart), "USAGE_LIMIT_REACHED");
    assert.equal(couponProblem(coupon({ perCustomerLimit: 1 }), { ...cart, usedByCustomer: 1 }), "CUSTOMER_LIMIT_REACHED");
  });
});

describe("pricing admin input", () => {
  const refused = (make: () => unknown) => assert.throws(make, (error) => codeOf(error) === "BAD_USER_INPUT");
  const method = { name: "Standard", price: 499, currency: "usd", countries: ["us", "DE", "US"], minDeliveryDays: 1, maxDeliveryDays: 3 };

  it("normalises a shipping method and refuses negative, huge or unbounded values", () => {
    const valid = validShippingMethod(method);
    assert.deepEqual(valid.countries, ["DE", "US"]);
    assert.deepEqual(valid.price, { amount: 499, currency: "USD" });
    refused(() => validShippingMethod({ ...method, price: -1 }));
    refused(() => validShippingMethod({ ...method, price: 1e12 }));
    refused(() => validShippingMethod({ ...method, price: 4.5 }));
    refused(() => validShippingMethod({ ...method, name: "x".repeat(100_000) }));
    refused(() => validShippingMethod({ ...method, name: "line\nbreak" }));
    refused(() => validShippingMethod({ ...method, countries: [] }));
    refused(() => validShippingMethod({ ...method, countries: ["USA"] }));
    refused(() => validShippingMethod({ ...method, minDeliveryDays: 5, maxDeliveryDays: 2 }));
    refused(() => validShippingMethod({ ...method, freeOver: -5 }));
  });

  it("bounds tax rates to 0-100 % and treats blank region or category as any", () => {
    assert.deepEqual(validTaxRate({ countryCode: "de", region: " ", category: "", rateBasisPoints: 1900 }), { countryCode: "DE", region: null, category: null, rateBasisPoints: 1900 });
    assert.deepEqual(validTaxRate({ countryCode: "US", region: "ca", category: "Books", rateBasisPoints: 0 }), { countryCode: "US", region: "CA", category: "books", rateBasisPoints: 0 });
    refused(() => validTaxRate({ countryCode: "US", rateBasisPoints: 10_001 }));
    refused(() => validTaxRate({ countryCode: "US", rateBasisPoints: -1 }));
    refused(() => validTaxRate({ countryCode: "U1", rateBasisPoints: 100 }));
  });

  it("checks a coupon's value against its type and needs a currency for amounts", () => {
    assert.equal(validCoupon({ code: " welcome-10 ", type: "PERCENTAGE", value: 1000 }).code, "WELCOME-10");
    refused(() => validCoupon({ code: "A", type: "PERCENTAGE", value: 10_001 }));
    refused(() => validCoupon({ code: "A", type: "PERCENTAGE", value: 0 }));
    refused(() => validCoupon({ code: "A", type: "FIXED_AMOUNT", value: 500 }));
    refused(() => validCoupon({ code: "A", type: "PERCENTAGE", value: 100, minimumSubtotal: 1000 }));
    refused(() => validCoupon({ code: "A", type: "FIXED_AMOUNT", value: 1e12, currency: "USD" }));
    refused(() => validCoupon({ code: "A", type: "PERCENTAGE", value: 100, startsAt: "2026-12-02T00:00:00Z", endsAt: "2026-12-01T00:00:00Z" }));
    refused(() => validCoupon({ code: "A", type: "PERCENTAGE", value: 100, endsAt: "tomorrow" }));
    refused(() => validCoupon({ code: "A", type: "PERCENTAGE", value: 100, usageLimit: 0 }));
    refused(() => validCoupon({ code: "BAD CODE", type: "PERCENTAGE", value: 100 }));
  });
});
