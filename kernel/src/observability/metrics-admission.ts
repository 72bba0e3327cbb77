import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

const refusals = new Counter({
  name: "storefront_admission_refusals_total",
  help: "Requests an admission gate refused as OVERLOADED (they did nothing), by gate: the service was past its capacity.",
  labelNames: ["gate"] as const,
  registers: [metricsRegistry],
});

export function countAdmissionRefusal(gate: string): void {
  refusals.inc({ gate });
}
