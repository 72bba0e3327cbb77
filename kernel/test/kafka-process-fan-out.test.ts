import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { Kafka } from "kafkajs";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import type { DomainEvent } from "#kernel";
import { newEvent } from "#kernel/events/new-event.ts";

describeWithRealEngine({ suite: "Kafka process-scoped subscriptions", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  const list = brokers.split(",").map((b) => b.trim());

  it("serves a process's process-scoped subscriptions with one consumer that commits nothing", { timeout: 90_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const prefix = `fan-out-${run}.`;
    const bus = new KafkaEventBus({ brokers: list, clientId: "fan-out-test", topicPrefix: prefix, maxBackoffMs: 50 });
    const admin = new Kafka({ brokers: list, clientId: "fan-out-test-admin" }).admin();
    await admin.connect();
    const topics = ["products", "stock", "orders"];
    const seen = new Map<string, DomainEvent[]>(topics.map((topic) => [topic, []]));
    try {
      for (const topic of topics) {
        await bus.subscribe({ topic, group: "cache", scope: "process", start: "latest", handle: async (event) => void seen.get(topic)!.push(event) });
      }
      for (const topic of topics) await bus.publish(topic, [newEvent("fan-out.tested", "k", { topic })]);
      await waitFor("each subscription has its topic's event", () => topics.every((topic) => seen.get(topic)!.length === 1), { timeoutMs: 20_000 });
      for (const topic of topics) assert.deepEqual(seen.get(topic)!.map((e) => (e.payload as { topic: string }).topic), [topic]);

      // Earlier consumers (one per topic added) may still be leaving; one group is live.
      const mine = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
      const described = await admin.describeGroups(mine);
      const live = described.groups.filter((group) => group.members.length > 0);
      assert.equal(live.length, 1, `one consumer for three subscriptions (live groups: ${live.map((g) => g.groupId).join(", ")})`);
      assert.ok(live[0]!.groupId.startsWith(`${prefix}fan-out-test.process.`), "named after the client, under the deployment's prefix");
      const offsets = await admin.fetchOffsets({ groupId: live[0]!.groupId, topics: topics.map((topic) => prefix + topic) });
      assert.ok(
        offsets.every((topic) => topic.partitions.every((partition) => Number(partition.offset) < 0)),
        "nothing committed: the group leaves nothing behind on the broker",
      );
    } finally {
      await bus.close();
      await admin.deleteTopics({ topics: topics.map((topic) => prefix + topic) }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
