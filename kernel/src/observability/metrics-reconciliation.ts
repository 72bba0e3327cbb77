import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

const reconciled = new Counter({
  name: "storefront_orders_reconciled_total",
  help: "Orders left PENDING past ORDER_RECONCILE_AFTER_MS, by what the reconciler did: applied (a lost payment outcome applied from the payment), unresolved (needs an operator). Anything above zero means an outcome event missed its effect.",
  labelNames: ["outcome"] as const,
  registers: [metricsRegistry],
});
// Exported at zero from the start, so an alert on its increase sees the first one.
for (const outcome of ["applied", "unresolved"] as const) reconciled.inc({ outcome }, 0);

export function countReconciledOrders(outcome: "applied" | "unresolved", count: number): void {
  if (count > 0) reconciled.inc({ outcome }, count);
}
