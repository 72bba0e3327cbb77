import { Gauge } from "prom-client";
import type { EventBus } from "../events/event-bus.js";
import { metricsRegistry } from "./metrics-registry.js";
import { boundedCollector } from "./metrics-bounded-collector.js";

/** Lag of one consumer group on one topic, in events (messages) not yet handled. */
export interface GroupLag {
  group: string;
  topic: string;
  lag: number;
}

const sources = new Set<() => Promise<GroupLag[]>>();

/** Every bus of the process asked at once, within 2 s; an answer serves scrapes for 1 s. */
const collect = boundedCollector("consumer_lag", { deadlineMs: 2_000, reuseMs: 1_000, active: () => sources.size > 0 }, async () => (await Promise.all([...sources].map((source) => source()))).flat());

new Gauge({
  name: "storefront_kafka_consumer_lag_messages",
  help: "Events on the bus that a consumer group of this process has not handled (Kafka: not committed, summed over the topic's partitions, asked of the admin API on scrape; the embedded bus: counted in process).",
  labelNames: ["group", "topic"] as const,
  registers: [metricsRegistry],
  async collect() {
    if (!sources.size) return this.reset();
    const lags = await collect();
    if (!lags) return;
    this.reset();
    for (const { group, topic, lag } of lags) this.set({ group, topic }, lag);
  },
});

/** Reports a bus's consumer lag on every scrape until the returned function is called. */
export function watchConsumerLag(source: () => Promise<GroupLag[]>): () => void {
  sources.add(source);
  return () => void sources.delete(source);
}

/** The embedded bus, with its groups' lag exported until it closes. */
export function withEmbeddedLagMetrics(bus: EventBus & { lag(): GroupLag[] }): EventBus {
  const unwatch = watchConsumerLag(async () => bus.lag());
  return {
    engine: bus.engine,
    publish: (topic, events) => bus.publish(topic, events),
    subscribe: (options) => bus.subscribe(options),
    async close() {
      unwatch();
      await bus.close();
    },
  };
}
