import type { ProviderOutcome } from "../ports/payment-provider.js";

/** How a payment ends when a charge call's answer settles it. */
export type ChargeResult = { status: "SUCCEEDED"; providerRef: string } | { status: "FAILED"; reason: string };

/**
 * What one charge call's answer decides, made once: the drive both logs the call and acts on
 * this, so the two cannot disagree (a settling answer is logged in the settling statement,
 * any other on its own before the drive goes on).
 * - `settle`: the answer is final (a capture, a decline, a refusal of these very terms);
 * - `ask`: the provider holds another request under the payment's key, which may have taken
 *   the money: its charge search decides (see settleInDoubt);
 * - `again`: no answer to go by (a timeout, a transient failure): called again, or left for
 *   the recovery sweep.
 */
export type ChargeVerdict = { kind: "settle"; result: ChargeResult } | { kind: "ask"; reason: string } | { kind: "again" };

export function chargeVerdict(outcome: ProviderOutcome): ChargeVerdict {
  switch (outcome.kind) {
    case "succeeded":
      return { kind: "settle", result: { status: "SUCCEEDED", providerRef: outcome.ref } };
    case "declined":
      return { kind: "settle", result: { status: "FAILED", reason: `The card was declined (${outcome.reason})` } };
    case "rejected": {
      const reason = `The payment provider refused the payment (${outcome.reason})`;
      // Any other answer to the same key and terms is the provider's replay, and final.
      return outcome.keyReused ? { kind: "ask", reason } : { kind: "settle", result: { status: "FAILED", reason } };
    }
    case "transient":
    case "timeout":
      return { kind: "again" };
  }
}
