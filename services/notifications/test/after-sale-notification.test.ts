import assert from "node:assert/strict";
import { it } from "node:test";
import { newEvent, OrderEventTypes, PaymentEventTypes } from "#kernel";
import { draftNotification } from "../src/domain/notification.js";

const statusChange = (from: string, to: string) => newEvent(OrderEventTypes.statusChanged, "ord_1", { orderId: "ord_1", userId: "u1", from, to, at: "2026-01-01T00:00:00.000Z" });

it("tells the customer a return was received, and each refund with its own amount; the refund statuses add nothing", () => {
  const received = draftNotification(statusChange("DELIVERED", "RETURN_REQUESTED"));
  assert.equal(received?.kind, "RETURN_REQUESTED");
  assert.match(received!.text, /return items of order ord_1/);
  const partial = newEvent(PaymentEventTypes.refunded, "ord_1", { paymentId: "pay_1", orderId: "ord_1", userId: "u1", refundId: "r1", refundRef: "re_1", amount: 965, currency: "USD" });
  assert.match(draftNotification(partial)!.text, /\$9\.65/);
  assert.equal(draftNotification(statusChange("RETURN_REQUESTED", "PARTIALLY_REFUNDED")), null);
  assert.equal(draftNotification(statusChange("PARTIALLY_REFUNDED", "REFUNDED")), null);
});
