import { Counter } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

const deadLettered = new Counter({
  name: "storefront_events_dead_lettered_total",
  help: "Events a consumer gave up on after repeated failures and moved to <topic>.dead-letter, by topic and consumer group. Each one is an effect that did not happen (a stock return, a payment outcome): an operator replays or settles it.",
  labelNames: ["topic", "consumer"] as const,
  registers: [metricsRegistry],
});

/** Counts one event given up on; with 0, exports the series from the consumer's start, so an alert on its increase sees the first one. */
export function countDeadLetteredEvent(topic: string, consumer: string, count = 1): void {
  deadLettered.inc({ topic, consumer }, count);
}
