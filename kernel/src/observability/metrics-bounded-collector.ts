import { Gauge } from "prom-client";
import { withDeadline } from "../events/with-deadline.js";
import { metricsRegistry } from "./metrics-registry.js";

const up = new Gauge({
  name: "storefront_metrics_collector_up",
  help: "1 when a collector that asks an engine on scrape (outbox, consumer_lag) answered within its deadline, 0 when it failed or timed out (its gauges then keep their last values).",
  labelNames: ["collector"] as const,
  registers: [metricsRegistry],
});

const took = new Gauge({
  name: "storefront_metrics_collector_duration_seconds",
  help: "How long the last collection of a collector took (at most its deadline).",
  labelNames: ["collector"] as const,
  registers: [metricsRegistry],
});

/**
 * Runs an engine query for a scrape without ever letting the scrape wait on a slow or dead
 * engine: the query has `deadlineMs`, at most one runs at a time (a scrape arriving while one
 * is still running waits for it rather than starting another, so a stalled engine never piles
 * up queries), and an answer younger than `reuseMs` serves every scrape meanwhile (one
 * process's servers are often scraped together). Failures set `storefront_metrics_collector_up`
 * to 0 and resolve undefined.
 */
export function boundedCollector<T>(collector: string, options: { deadlineMs: number; reuseMs: number }, query: () => Promise<T>) {
  let last: { at: number; value: T } | undefined;
  let running: Promise<T | undefined> | undefined;
  return async (): Promise<T | undefined> => {
    if (last && performance.now() - last.at < options.reuseMs) return last.value;
    running ??= (async () => {
      const startedAt = performance.now();
      try {
        const value = await withDeadline(options.deadlineMs, `metrics: ${collector}`, query);
        last = { at: performance.now(), value };
        up.set({ collector }, 1);
        return value;
      } catch {
        up.set({ collector }, 0);
        return undefined;
      } finally {
        took.set({ collector }, (performance.now() - startedAt) / 1000);
        running = undefined;
      }
    })();
    return running;
  };
}
