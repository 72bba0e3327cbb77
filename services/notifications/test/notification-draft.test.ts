import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACCOUNT_MAIL_SEAL, AccountMailEventTypes, newEvent, openSealedSecret, ORDER_CANCELLED_BEFORE_PAYMENT, OrderEventTypes, PaymentEventTypes, sealSecret } from "#kernel";
import { draftNotification, formatMoney, MalformedEventError } from "../src/domain/notification.js";

const statusChange = (from: string | null, to: string) =>
  newEvent(OrderEventTypes.statusChanged, "ord_1", { orderId: "ord_1", userId: "u1", from, to, at: "2026-01-01T00:00:00.000Z" });
const payment = { paymentId: "pay_1", orderId: "ord_1", userId: "u1", amount: 2599, currency: "USD", attempts: 1 };

describe("notification drafts", () => {
  it("tells the customer about placing, shipping, delivery and cancellation from status changes", () => {
    assert.equal(draftNotification(statusChange(null, "PENDING"))?.kind, "ORDER_PLACED");
    assert.equal(draftNotification(statusChange("PAID", "SHIPPED"))?.kind, "ORDER_SHIPPED");
    assert.equal(draftNotification(statusChange("SHIPPED", "DELIVERED"))?.kind, "ORDER_DELIVERED");
    assert.equal(draftNotification(statusChange("PENDING", "CANCELLED"))?.kind, "ORDER_CANCELLED");
    assert.equal(draftNotification(statusChange(null, "PENDING"))?.userId, "u1");
  });

  it("leaves PAID and PAYMENT_FAILED to the payment events, so each fact is told once", () => {
    assert.equal(draftNotification(statusChange("PENDING", "PAID")), null);
    assert.equal(draftNotification(statusChange("PENDING", "PAYMENT_FAILED")), null);
  });

  it("words payment messages with the amount and the reason", () => {
    const paid = draftNotification(newEvent(PaymentEventTypes.confirmed, "ord_1", { ...payment, providerRef: "ch_1" }));
    assert.equal(paid?.kind, "PAYMENT_CONFIRMED");
    assert.match(paid!.text, /\$25\.99/);
    const failed = draftNotification(newEvent(PaymentEventTypes.failed, "ord_1", { ...payment, reason: "The card was declined (insufficient_funds)" }));
    assert.equal(failed?.kind, "PAYMENT_FAILED");
    assert.match(failed!.text, /insufficient_funds/);
    const refunded = draftNotification(newEvent(PaymentEventTypes.refunded, "ord_1", { ...payment, refundRef: "re_1" }));
    assert.equal(refunded?.kind, "PAYMENT_REFUNDED");
  });

  it("sends no payment-failed mail for a payment failed because its order was cancelled first: the cancellation's mail tells it", () => {
    const cancelledFirst = newEvent(PaymentEventTypes.failed, "ord_1", { ...payment, attempts: 0, reason: ORDER_CANCELLED_BEFORE_PAYMENT });
    assert.equal(draftNotification(cancelledFirst), null);
    assert.equal(draftNotification(statusChange("PENDING", "CANCELLED"))?.kind, "ORDER_CANCELLED");
    // Published before the reason had a name: the same words, recognised alike.
    assert.equal(draftNotification(newEvent(PaymentEventTypes.failed, "ord_1", { ...payment, reason: "The order was cancelled before its payment was taken" })), null);
  });

  it("ignores requests meant for other services", () => {
    assert.equal(draftNotification(newEvent(PaymentEventTypes.requested, "ord_1", payment)), null);
    assert.equal(draftNotification(newEvent(PaymentEventTypes.refundRequested, "ord_1", { paymentId: "pay_1", orderId: "ord_1" })), null);
  });

  it("refuses events without the fields a message needs", () => {
    assert.throws(() => draftNotification(newEvent(OrderEventTypes.statusChanged, "ord_1", { orderId: "ord_1" })), MalformedEventError);
    assert.throws(() => draftNotification(newEvent(PaymentEventTypes.failed, "ord_1", { orderId: "ord_1", userId: "u1", amount: 1.5, currency: "USD" })), MalformedEventError);
  });

  it("words account mail with a one-time link behind the base URL, the token after '#', by email only", () => {
    const secret = "draft-test-secret-0123456789";
    const links = { baseUrl: "https://shop.example.com", openToken: (sealed: string) => openSealedSecret(secret, ACCOUNT_MAIL_SEAL, sealed) };
    const at = new Date("2026-01-01T00:00:00.000Z");
    const payload = (hours: number) => ({ userId: "u1", sealedToken: sealSecret(secret, ACCOUNT_MAIL_SEAL, "tok_123"), expiresAt: new Date(at.getTime() + hours * 3_600_000).toISOString() });
    const reset = draftNotification(newEvent(AccountMailEventTypes.passwordResetRequested, "u1", payload(0.5), at), links)!;
    assert.deepEqual([reset.kind, reset.userId, reset.orderId, reset.emailOnly], ["PASSWORD_RESET", "u1", undefined, true]);
    assert.match(reset.text, /https:\/\/shop\.example\.com\/reset-password#token=tok_123/);
    assert.match(reset.text, /within 30 minutes/);
    const verify = draftNotification(newEvent(AccountMailEventTypes.emailVerificationRequested, "u1", payload(48), at), links)!;
    assert.equal(verify.kind, "EMAIL_VERIFICATION");
    assert.match(verify.text, /https:\/\/shop\.example\.com\/verify-email#token=tok_123/);
    assert.match(verify.text, /within 2 days/);
    const forged = { ...payload(1), sealedToken: sealSecret("another-secret-0123456789", ACCOUNT_MAIL_SEAL, "tok_123") };
    assert.throws(() => draftNotification(newEvent(AccountMailEventTypes.passwordResetRequested, "u1", forged, at), links), MalformedEventError);
    assert.throws(() => draftNotification(newEvent(AccountMailEventTypes.passwordResetRequested, "u1", { userId: "u1" }, at), links), MalformedEventError);
  });

  it("formats minor units with the currency's own decimals", () => {
    assert.equal(formatMoney(2599, "USD"), "$25.99");
    assert.equal(formatMoney(2599, "JPY"), "¥2,599");
    assert.equal(formatMoney(100, "EUR"), "€1.00");
  });
});
