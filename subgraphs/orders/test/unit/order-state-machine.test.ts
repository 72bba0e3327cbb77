import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ORDER_STATUSES, type OrderStatus } from "../../src/domain/order.js";
import { assertTransition, canTransition, isFinal, onPaymentConfirmed, onPaymentFailed } from "../../src/domain/order-state-machine.js";

describe("order state machine", () => {
  const allowed = new Set(["PENDING>PAID", "PENDING>PAYMENT_FAILED", "PENDING>CANCELLED", "PAID>SHIPPED", "SHIPPED>DELIVERED"]);

  it("allows exactly the documented transitions and refuses every other pair with ILLEGAL_TRANSITION", () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const legal = allowed.has(`${from}>${to}`);
        assert.equal(canTransition(from, to), legal, `${from} -> ${to}`);
        if (legal) assertTransition("o1", from, to);
        else assert.throws(() => assertTransition("o1", from, to), (error: { extensions: { code: string } }) => error.extensions.code === "ILLEGAL_TRANSITION");
      }
    }
  });

  it("treats DELIVERED, PAYMENT_FAILED and CANCELLED as final", () => {
    const finals = ORDER_STATUSES.filter(isFinal);
    assert.deepEqual(finals, ["DELIVERED", "PAYMENT_FAILED", "CANCELLED"]);
  });

  it("pays a PENDING order on confirmation, refunds one that will not ship, ignores repeats", () => {
    const expected: Record<OrderStatus, string> = { PENDING: "pay", CANCELLED: "refund", PAYMENT_FAILED: "refund", PAID: "ignore", SHIPPED: "ignore", DELIVERED: "ignore" };
    for (const status of ORDER_STATUSES) assert.equal(onPaymentConfirmed(status), expected[status], status);
  });

  it("fails only a PENDING order on a failed payment", () => {
    for (const status of ORDER_STATUSES) assert.equal(onPaymentFailed(status), status === "PENDING" ? "fail" : "ignore", status);
  });
});
