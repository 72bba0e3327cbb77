import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canView, chargeKey, owesRefund, type Payment } from "../../src/domain/payment.js";

const payment: Payment = {
  id: "pay_1",
  orderId: "ord_1",
  userId: "alice",
  status: "SUCCEEDED",
  amount: { amount: 100, currency: "USD" },
  attempts: 1,
  providerRef: "ch_1",
  failureReason: null,
  idempotencyKey: "charge-pay_1",
  refundRequestedAt: null,
  refundRef: null,
  refundedAt: null,
  paymentMethod: null,
  createdAt: new Date(),
  updatedAt: new Date(),
};

describe("payment rules", () => {
  it("shows a payment to its customer, admins and services only", () => {
    assert.equal(canView(payment, { userId: "alice", roles: ["customer"] }), true);
    assert.equal(canView(payment, { userId: "bob", roles: ["customer"] }), false);
    assert.equal(canView(payment, { userId: "root", roles: ["admin"] }), true);
    assert.equal(canView(payment, { userId: "service:orders", roles: ["service"] }), true);
  });

  it("derives the provider idempotency key from the payment id alone", () => {
    assert.equal(chargeKey("pay_1"), chargeKey("pay_1"));
    assert.notEqual(chargeKey("pay_1"), chargeKey("pay_2"));
  });

  it("owes a refund only for a captured payment whose refund was asked for and not yet made", () => {
    assert.equal(owesRefund(payment), false);
    assert.equal(owesRefund({ ...payment, refundRequestedAt: new Date() }), true);
    assert.equal(owesRefund({ ...payment, refundRequestedAt: new Date(), status: "FAILED" }), false);
    assert.equal(owesRefund({ ...payment, refundRequestedAt: new Date(), status: "REFUNDED", refundedAt: new Date() }), false);
  });
});
