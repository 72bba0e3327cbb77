import { Registry, collectDefaultMetrics } from "prom-client";

/**
 * The one metrics registry of this process. Every HTTP server the process runs answers
 * `/metrics` from it, so a scrape of any of them sees the whole process (in `npm start`, the
 * gateway and every subgraph at once). Metrics are registered at import time and cost nothing
 * until something counts; the `service` label names the process (`storefront` when one
 * process runs everything).
 */
export const metricsRegistry = new Registry();

/** Who may read `/metrics`: holders of a bearer token, nobody, or anyone (development and tests). */
export type MetricsAccess = { token: string } | "open" | "off";

let defaultsCollected = false;
// Until a process says otherwise (its main, or the one-process platform), nobody reads metrics.
let access: MetricsAccess = "off";

export const metricsAccess = (): MetricsAccess => access;

/**
 * Names the process in every series, says who may read `/metrics`, and turns on Node's own
 * metrics (event loop lag, heap, GC). Called once by each process's composition root.
 */
export function configureMetrics(options: { service: string; access: MetricsAccess }): void {
  access = options.access;
  metricsRegistry.setDefaultLabels({ service: options.service });
  if (defaultsCollected) return;
  defaultsCollected = true;
  // Event-loop lag is sampled at this resolution: the monitor is a timer that wakes the process
  // every period, so at 20 ms it was the idle platform's largest source of wake-ups (50 of
  // about 90 a second). Ten samples a second still give a scrape every 15 s 150 of them, and
  // a loop blocked for longer than the period is seen by every sample due during it.
  collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 100 });
}

/** The exposition text of every metric, collectors run (each bounded by its own deadline). */
export function renderMetrics(): Promise<string> {
  return metricsRegistry.metrics();
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;
