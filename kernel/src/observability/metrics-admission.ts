import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

const refusals = new Counter({
  name: "storefront_admission_refusals_total",
  help: "Requests an admission gate refused as OVERLOADED (they did nothing), by gate: the service was past its capacity.",
  labelNames: ["gate"] as const,
  registers: [metricsRegistry],
});

/** Shows the gate's series at 0 from its start: a rate over a series that appears with its first refusal misses that refusal. */
export function watchAdmissionGate(gate: string): void {
  refusals.inc({ gate }, 0);
}

export function countAdmissionRefusal(gate: string): void {
  refusals.inc({ gate });
}
