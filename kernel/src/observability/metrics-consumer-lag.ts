import { Kafka, logLevel, type Admin, type ISocketFactory } from "kafkajs";
import type { EventBus, SubscribeOptions } from "../events/event-bus.js";
import { kafkaGroupId } from "../events/kafka-group-member.js";
import { KafkaClientSlot } from "../events/kafka-client-slot.js";
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
 * A scrape that fails gives that client up, so a connection gone silent is not asked again.
 */
export function withConsumerLagMetrics(bus: EventBus, kafka: { brokers: string[]; clientId: string; topicPrefix: string; socketFactory?: ISocketFactory }): EventBus {
  const client = new Kafka({
    brokers: kafka.brokers,
    clientId: `${kafka.clientId}-metrics`,
    connectionTimeout: 1_000,
    requestTimeout: 1_500,
    retry: { retries: 0 },
    ...(kafka.socketFactory && { socketFactory: kafka.socketFactory }),
    logLevel: logLevel.NOTHING,
  });
  const admin = new KafkaClientSlot<Admin>(() => client.admin());
  /** This bus's groups, by "groupId topic", with how many of its subscriptions use each. */
  const consumed = new Map<string, { entry: Consumed; subscriptions: number }>();

  async function lagOf(): Promise<GroupLag[]> {
    const entries = [...consumed.values()].map(({ entry }) => entry);
    if (!entries.length) return [];
    return admin.use((broker) => lagOfEach(broker, entries));
  }

  async function lagOfEach(broker: Admin, entries: Consumed[]): Promise<GroupLag[]> {
    // The topics' ends first: they load the cluster's metadata, without which a new client's
    // group-offset read finds no broker (kafkajs, with no retry here) and the scrape failed.
    const ends = new Map<string, Awaited<ReturnType<Admin["fetchTopicOffsets"]>>>();
    await Promise.all([...new Set(entries.map((entry) => entry.topic))].map(async (topic) => ends.set(topic, await broker.fetchTopicOffsets(topic))));
    return Promise.all(
      entries.map(async (entry) => {
        const [committed] = await broker.fetchOffsets({ groupId: entry.groupId, topics: [entry.topic] });
        const topicEnds = ends.get(entry.topic)!;
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
      await admin.close();
    },
  };
}
