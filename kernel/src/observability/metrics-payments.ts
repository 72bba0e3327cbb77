import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

const attempts = new Counter({
  name: "storefront_payment_attempts_total",
  help: "Calls to the payment provider, by operation (charge, refund) and outcome (succeeded, declined, rejected, transient, timeout).",
  labelNames: ["operation", "outcome"] as const,
  registers: [metricsRegistry],
});

const outcomes = new Counter({
  name: "storefront_payment_outcomes_total",
  help: "Payments settled, by final status (SUCCEEDED, FAILED): one per payment, whatever its number of attempts.",
  labelNames: ["status"] as const,
  registers: [metricsRegistry],
});

const lateCaptures = new Counter({
  name: "storefront_payment_late_captures_total",
  help: "Captures the provider made on payments that had already failed, by what the sweep did (refunded, refund_pending: owed to the customer and tried again).",
  labelNames: ["outcome"] as const,
  registers: [metricsRegistry],
});

export function countPaymentAttempt(operation: "charge" | "refund", outcome: string): void {
  attempts.inc({ operation, outcome });
}

export function countPaymentOutcome(status: "SUCCEEDED" | "FAILED"): void {
  outcomes.inc({ status });
}

/**
 * Shows both outcomes at 0 from the sweep's start: the alert's increase() over a series that
 * appears with its first capture would miss that capture.
 */
export function watchLateCaptures(): void {
  for (const outcome of ["refunded", "refund_pending"] as const) lateCaptures.inc({ outcome }, 0);
}

/** A capture found on a failed payment: refunded, or a refund still owed (tried again). */
export function countLateCapture(outcome: "refunded" | "refund_pending"): void {
  lateCaptures.inc({ outcome });
}
