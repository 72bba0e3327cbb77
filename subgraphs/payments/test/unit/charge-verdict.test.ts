import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chargeVerdict } from "../../src/domain/charge-verdict.js";

describe("a charge call's verdict", () => {
  it("settles on a capture, a decline and a refusal of these terms, each with its result", () => {
    assert.deepEqual(chargeVerdict({ kind: "succeeded", ref: "ch_1" }), { kind: "settle", result: { status: "SUCCEEDED", providerRef: "ch_1" } });
    assert.deepEqual(chargeVerdict({ kind: "declined", reason: "insufficient_funds" }), { kind: "settle", result: { status: "FAILED", reason: "The card was declined (insufficient_funds)" } });
    assert.deepEqual(chargeVerdict({ kind: "rejected", reason: "amount_too_small" }), { kind: "settle", result: { status: "FAILED", reason: "The payment provider refused the payment (amount_too_small)" } });
  });

  it("asks the provider when its key holds another request, which may have taken the money", () => {
    assert.deepEqual(chargeVerdict({ kind: "rejected", reason: "idempotency_key_reused", keyReused: true }), { kind: "ask", reason: "The payment provider refused the payment (idempotency_key_reused)" });
  });

  it("settles nothing on a timeout or a transient failure, whether or not it may have charged", () => {
    for (const outcome of [
      { kind: "timeout", reason: "no answer in 5 s" },
      { kind: "transient", reason: "503" },
      { kind: "transient", reason: "socket hang up", mayHaveCharged: true },
      { kind: "transient", reason: "idempotency_key_in_use", stillProcessing: true },
    ] as const) {
      assert.deepEqual(chargeVerdict(outcome), { kind: "again" });
    }
  });
});
