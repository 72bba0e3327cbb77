import { Kafka, logLevel, type Admin } from "kafkajs";
import { Gauge } from "prom-client";
import type { EventBus, SubscribeOptions } from "../events/event-bus.js";
import { kafkaGroupId } from "../events/kafka-group-member.js";
import { metricsRegistry } from "./metrics-registry.js";
import { boundedCollector } from "./metrics-bounded-collector.js";

/** A subscription as Kafka names it, and where its group starts without a committed offset. */
interface Consumed {
  groupId: string;
  topic: string;
  start: "earliest" | "latest";
}

/** Consumer groups of this process, by "groupId topic", with how many subscriptions use each. */
const consumed = new Map<string, { entry: Consumed; subscriptions: number }>();
const admins = new Set<{ lagOf(entries: Consumed[]): Promise<Map<Consumed, number>> }>();

/** Lag is asked of the broker once per scrape round, for every group at once, within 2 s. */
const collect = boundedCollector("consumer_lag", { deadlineMs: 2_000, reuseMs: 1_000, active: () => admins.size > 0 && consumed.size > 0 }, async () => {
  const [admin] = admins;
  return admin!.lagOf([...consumed.values()].map(({ entry }) => entry));
});

new Gauge({
  name: "storefront_kafka_consumer_lag_messages",
  help: "Messages on the broker that a consumer group of this process has not committed yet, summed over the topic's partitions; asked of the Kafka admin API on scrape.",
  labelNames: ["group", "topic"] as const,
  registers: [metricsRegistry],
  async collect() {
    if (!consumed.size || !admins.size) return this.reset();
    const lags = await collect();
    if (!lags) return;
    this.reset();
    for (const [entry, lag] of lags) this.set({ group: entry.groupId, topic: entry.topic }, lag);
  },
});

/**
 * The Kafka event bus, with the consumer lag of every group it subscribes exported on scrape.
 * The admin client is its own (connected on the first scrape), so a scrape never queues
 * behind the bus's publishes, and it answers within the collector's deadline or not at all.
 */
export function withConsumerLagMetrics(bus: EventBus, kafka: { brokers: string[]; clientId: string; topicPrefix: string }): EventBus {
  let admin: Promise<Admin> | undefined;
  const client = new Kafka({
    brokers: kafka.brokers,
    clientId: `${kafka.clientId}-metrics`,
    connectionTimeout: 1_000,
    requestTimeout: 1_500,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const connected = (): Promise<Admin> => {
    admin ??= (async () => {
      const created = client.admin();
      try {
        await created.connect();
        return created;
      } catch (error) {
        admin = undefined;
        await created.disconnect().catch(() => undefined);
        throw error;
      }
    })();
    return admin;
  };
  const source = {
    async lagOf(entries: Consumed[]): Promise<Map<Consumed, number>> {
      const broker = await connected();
      const lags = new Map<Consumed, number>();
      const ends = new Map<string, Promise<{ partition: number; high: string; low: string }[]>>();
      await Promise.all(
        entries.map(async (entry) => {
          if (!ends.has(entry.topic)) ends.set(entry.topic, broker.fetchTopicOffsets(entry.topic));
          const [[committed], topicEnds] = await Promise.all([broker.fetchOffsets({ groupId: entry.groupId, topics: [entry.topic] }), ends.get(entry.topic)!]);
          const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
          let lag = 0;
          for (const { partition, high, low } of topicEnds) {
            const offset = at.get(partition) ?? -1;
            // No commit yet: an "earliest" group owes the whole partition, a "latest" one nothing.
            const from = offset >= 0 ? offset : entry.start === "earliest" ? Number(low) : Number(high);
            lag += Math.max(0, Number(high) - from);
          }
          lags.set(entry, lag);
        }),
      );
      return lags;
    },
  };
  admins.add(source);
  /** Releases of this bus's subscriptions still counted, so closing the bus forgets them too. */
  const untracks = new Set<() => void>();

  return {
    engine: bus.engine,
    publish: (topic, events) => bus.publish(topic, events),
    async subscribe(options: SubscribeOptions) {
      const subscription = await bus.subscribe(options);
      const entry: Consumed = {
        groupId: kafkaGroupId(kafka.topicPrefix, options.group, options.topic),
        topic: kafka.topicPrefix + options.topic,
        start: options.start ?? "earliest",
      };
      const key = `${entry.groupId} ${entry.topic}`;
      const tracked = consumed.get(key) ?? { entry, subscriptions: 0 };
      tracked.subscriptions += 1;
      consumed.set(key, tracked);
      const untrack = () => {
        if (untracks.delete(untrack) && --tracked.subscriptions === 0) consumed.delete(key);
      };
      untracks.add(untrack);
      return {
        async stop() {
          untrack();
          await subscription.stop();
        },
      };
    },
    async close() {
      admins.delete(source);
      for (const untrack of [...untracks]) untrack();
      await bus.close();
      if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => undefined);
    },
  };
}
