import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ORDER_STATUSES, type OrderStatus } from "../../src/domain/order.js";
import { afterSaleStatus, assertTransition, canTransition, isFinal, onCancel, onPaymentConfirmed, onPaymentFailed } from "../../src/domain/order-state-machine.js";

const codeOf = (error: unknown) => (error as { extensions: { code: string } }).extensions.code;

describe("order state machine", () => {
  const allowed = new Set([
    "PENDING>PAID",
    "PENDING>PAYMENT_FAILED",
    "PENDING>CANCELLED",
    "PAID>SHIPPED",
    "PAID>CANCELLED",
    "PAID>REFUNDED",
    "SHIPPED>DELIVERED",
    "SHIPPED>REFUNDED",
    "DELIVERED>RETURN_REQUESTED",
    "DELIVERED>PARTIALLY_REFUNDED",
    "DELIVERED>REFUNDED",
    "RETURN_REQUESTED>DELIVERED",
    "RETURN_REQUESTED>PARTIALLY_REFUNDED",
    "RETURN_REQUESTED>REFUNDED",
    "PARTIALLY_REFUNDED>RETURN_REQUESTED",
    "PARTIALLY_REFUNDED>REFUNDED",
  ]);

  it("allows exactly the documented transitions and refuses every other pair with ILLEGAL_TRANSITION", () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const legal = allowed.has(`${from}>${to}`);
        assert.equal(canTransition(from, to), legal, `${from} -> ${to}`);
        if (legal) assertTransition("o1", from, to);
        else assert.throws(() => assertTransition("o1", from, to), (error) => codeOf(error) === "ILLEGAL_TRANSITION");
      }
    }
  });

  it("treats PAYMENT_FAILED, CANCELLED and REFUNDED as final: a delivered order may still be returned", () => {
    assert.deepEqual(ORDER_STATUSES.filter(isFinal), ["PAYMENT_FAILED", "CANCELLED", "REFUNDED"]);
  });

  it("pays a PENDING order on confirmation, refunds one that will not ship, ignores repeats", () => {
    const expected: Record<OrderStatus, string> = {
      PENDING: "pay",
      CANCELLED: "refund",
      PAYMENT_FAILED: "refund",
      PAID: "ignore",
      SHIPPED: "ignore",
      DELIVERED: "ignore",
      RETURN_REQUESTED: "ignore",
      PARTIALLY_REFUNDED: "ignore",
      REFUNDED: "ignore",
    };
    for (const status of ORDER_STATUSES) assert.equal(onPaymentConfirmed(status), expected[status], status);
  });

  it("fails only a PENDING order on a failed payment", () => {
    for (const status of ORDER_STATUSES) assert.equal(onPaymentFailed(status), status === "PENDING" ? "fail" : "ignore", status);
  });

  it("cancels until shipping: PENDING releases its hold, PAID is refunded, anything later is ILLEGAL_TRANSITION saying why", () => {
    assert.equal(onCancel("o1", "PENDING"), "release");
    assert.equal(onCancel("o1", "PAID"), "refund");
    for (const status of ORDER_STATUSES.filter((s) => s !== "PENDING" && s !== "PAID")) {
      assert.throws(() => onCancel("o1", status), (error: Error) => codeOf(error) === "ILLEGAL_TRANSITION" && error.message.includes(status), status);
    }
    assert.throws(() => onCancel("o1", "SHIPPED"), /has shipped .* request a return/);
    // A PAID order refunded in full before it shipped: nothing was sent, so nothing to return.
    assert.throws(
      () => onCancel("o1", "REFUNDED"),
      (error: Error) => /refunded in full/.test(error.message) && !/shipped|return/.test(error.message),
      "a refunded order is not told it shipped",
    );
  });

  it("puts an order where its refunds and open returns say, never below a full refund", () => {
    const at = (status: OrderStatus, refunded: number, openReturns = 0) => afterSaleStatus({ status, total: 1000, refunded, openReturns });
    assert.equal(at("PAID", 300), "PAID", "a partial refund before delivery leaves the status");
    assert.equal(at("SHIPPED", 300), "SHIPPED");
    assert.equal(at("PAID", 1000), "REFUNDED");
    assert.equal(at("SHIPPED", 1000), "REFUNDED");
    assert.equal(at("DELIVERED", 0, 1), "RETURN_REQUESTED");
    assert.equal(at("RETURN_REQUESTED", 400, 0), "PARTIALLY_REFUNDED");
    assert.equal(at("RETURN_REQUESTED", 400, 1), "RETURN_REQUESTED");
    assert.equal(at("RETURN_REQUESTED", 0, 0), "DELIVERED", "a rejected return puts the order back");
    assert.equal(at("PARTIALLY_REFUNDED", 1000, 0), "REFUNDED");
    assert.equal(at("CANCELLED", 1000, 0), "CANCELLED", "a cancelled order stays cancelled once refunded");
    assert.equal(afterSaleStatus({ status: "DELIVERED", total: 0, refunded: 0, openReturns: 0 }), "DELIVERED", "a free order is not 'refunded' by nothing");
  });
});
