import { Kafka, logLevel, type Admin } from "kafkajs";
import type { EventBus, SubscribeOptions } from "../events/event-bus.js";
import { kafkaGroupId } from "../events/kafka-group-member.js";
import { watchConsumerLag, type GroupLag } from "./metrics-consumer-lag-gauge.js";

/** A subscription as Kafka names it, and where its group starts without a committed offset. */
interface Consumed {
  groupId: string;
  topic: string;
  start: "earliest" | "latest";
}

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
  /** This bus's groups, by "groupId topic", with how many of its subscriptions use each. */
  const consumed = new Map<string, { entry: Consumed; subscriptions: number }>();

  async function lagOf(): Promise<GroupLag[]> {
    const entries = [...consumed.values()].map(({ entry }) => entry);
    if (!entries.length) return [];
    const broker = await connected();
    const ends = new Map<string, Promise<{ partition: number; high: string; low: string }[]>>();
    return Promise.all(
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
        return { group: entry.groupId, topic: entry.topic, lag };
      }),
    );
  }
  const unwatch = watchConsumerLag(lagOf);
  /** Releases of this bus's subscriptions still counted, so closing the bus forgets them too. */
  const untracks = new Set<() => void>();

  return {
    engine: bus.engine,
    publish: (topic, events) => bus.publish(topic, events),
    async subscribe(options: SubscribeOptions) {
      const subscription = await bus.subscribe(options);
      // A process-scoped subscription commits no position for the broker to measure lag by.
      if (options.scope === "process") return subscription;
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
      unwatch();
      for (const untrack of [...untracks]) untrack();
      await bus.close();
      if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => undefined);
    },
  };
}
