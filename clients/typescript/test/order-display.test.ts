import { test } from "node:test";
import assert from "node:assert/strict";
import { describeOrderState, formatMoney, isFinalOrderStatus } from "../src/order-display.js";

test("money in minor units is shown in its currency's major unit", () => {
  assert.equal(formatMoney({ amount: 1999, currency: "USD" }), "$19.99");
  assert.equal(formatMoney({ amount: 1999, currency: "JPY" }), "¥1,999");
  assert.equal(formatMoney({ amount: 5, currency: "EUR" }), "€0.05");
});

test("the status stream ends at CANCELLED, PAYMENT_FAILED or REFUNDED, not at PAID nor at DELIVERED (returns may follow)", () => {
  assert.deepEqual(
    (["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "PAYMENT_FAILED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED", "REFUNDED"] as const).filter(isFinalOrderStatus),
    ["CANCELLED", "PAYMENT_FAILED", "REFUNDED"],
  );
});

test("an order still PENDING with its payment SUCCEEDED reads as being confirmed, not as a contradiction", () => {
  assert.equal(describeOrderState("PENDING", "SUCCEEDED"), "Payment received; confirming your order.");
  assert.equal(describeOrderState("PENDING", null), "Order placed; processing your payment.");
  assert.equal(describeOrderState("CANCELLED", "REFUNDED"), "Cancelled; the payment is refunded.");
});
