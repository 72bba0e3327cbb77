import { Gauge } from "prom-client";
import { withDeadline } from "../events/with-deadline.js";
import { metricsRegistry } from "./metrics-registry.js";

interface CollectorState {
  /** Whether there is anything to ask in this process (a relay, a Kafka bus). */
  active(): boolean;
  run(): Promise<unknown>;
  up?: boolean;
  seconds?: number;
}

const collectors = new Map<string, CollectorState>();

/** A query stuck this long is given up on, and the engine asked again (at most this often). */
const STUCK_QUERY_MS = 60_000;

// Both gauges run the collectors themselves (each coalesced, so no extra query): the registry
// renders metrics in any order, and these must describe this scrape, not the one before.
const runActive = async (): Promise<[string, CollectorState][]> => {
  const active = [...collectors].filter(([, state]) => state.active());
  await Promise.all(active.map(([, state]) => state.run()));
  return active;
};

new Gauge({
  name: "storefront_metrics_collector_up",
  help: "1 when a collector that asks an engine on scrape (outbox, consumer_lag) answered within its deadline, 0 when it failed or timed out (its gauges then keep their last values).",
  labelNames: ["collector"] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const [collector, state] of await runActive()) if (state.up !== undefined) this.set({ collector }, state.up ? 1 : 0);
  },
});

new Gauge({
  name: "storefront_metrics_collector_duration_seconds",
  help: "How long the last collection of a collector took (at most its deadline).",
  labelNames: ["collector"] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const [collector, state] of await runActive()) if (state.seconds !== undefined) this.set({ collector }, state.seconds);
  },
});

/**
 * Runs an engine query for a scrape without ever letting the scrape wait on a slow or dead
 * engine: the query has `deadlineMs`, and at most one runs at a time: a scrape arriving while
 * one is within its deadline waits for it, and one arriving while a query is still stuck past
 * its deadline reports the collector down at once rather than asking again, so a stalled
 * engine never piles up queries. An answer younger than `reuseMs` serves every scrape meanwhile (one
 * process's servers are often scraped together). Failures set `storefront_metrics_collector_up`
 * to 0 and resolve undefined. `active` says whether this process has anything to ask.
 */
export function boundedCollector<T>(collector: string, options: { deadlineMs: number; reuseMs: number; active: () => boolean }, query: () => Promise<T>) {
  let last: { at: number; value: T } | undefined;
  let running: Promise<T | undefined> | undefined;
  // The engine query itself, which may outlive its deadline: never a second one beside it,
  // unless it has been stuck so long that the driver will not end it (a lost connection).
  let querying: { since: number } | undefined;
  const state: CollectorState = {
    active: options.active,
    run: () => collect(),
  };
  collectors.set(collector, state);
  const collect = async (): Promise<T | undefined> => {
    if (last && performance.now() - last.at < options.reuseMs) return last.value;
    if (!running && querying && performance.now() - querying.since < STUCK_QUERY_MS) {
      state.up = false;
      return undefined;
    }
    running ??= (async () => {
      const startedAt = performance.now();
      try {
        const value = await withDeadline(options.deadlineMs, `metrics: ${collector}`, () => {
          const asked = query();
          const mine = (querying = { since: performance.now() });
          const settled = () => {
            if (querying === mine) querying = undefined;
          };
          void asked.then(settled, settled);
          return asked;
        });
        last = { at: performance.now(), value };
        state.up = true;
        return value;
      } catch {
        state.up = false;
        return undefined;
      } finally {
        state.seconds = (performance.now() - startedAt) / 1000;
        running = undefined;
      }
    })();
    return running;
  };
  return collect;
}
