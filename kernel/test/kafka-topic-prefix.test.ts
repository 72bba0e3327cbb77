import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Kafka } from "kafkajs";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { loadConfig, type DomainEvent } from "#kernel";
import { newEvent } from "#kernel/events/new-event.ts";

describeWithRealEngine({ suite: "Kafka topic prefix", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  const list = brokers.split(",").map((b) => b.trim());

  it("keeps two deployments on one broker apart: same topic and group names, different prefixes", { timeout: 90_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `prefix-test.${run}`;
    const buses = ["blue", "green"].map((name) => new KafkaEventBus({ brokers: list, clientId: `prefix-test-${name}`, topicPrefix: `${name}-${run}.`, maxBackoffMs: 50 }));
    const seen: DomainEvent[][] = [[], []];
    try {
      // The same group name in both deployments: with shared group ids they would split the
      // partitions between them, and each would miss some of its own events.
      await Promise.all(buses.map((bus, i) => bus.subscribe({ topic, group: "search-indexer", start: "earliest", handle: async (event) => void seen[i]!.push(event) })));
      await buses[0]!.publish(topic, [newEvent("prefix.tested", "a", { from: "blue" }), newEvent("prefix.tested", "b", { from: "blue" })]);
      await buses[1]!.publish(topic, [newEvent("prefix.tested", "a", { from: "green" })]);
      for (let waited = 0; (seen[0]!.length < 2 || seen[1]!.length < 1) && waited < 20_000; waited += 100) await delay(100);
      await delay(500);
      assert.deepEqual(seen[0]!.map((e) => (e.payload as { from: string }).from), ["blue", "blue"]);
      assert.deepEqual(seen[1]!.map((e) => (e.payload as { from: string }).from), ["green"]);

      // What the broker holds: the prefixed names, nothing unprefixed.
      const admin = new Kafka({ brokers: list, clientId: "prefix-test-admin" }).admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        assert.ok(topics.includes(`blue-${run}.${topic}`) && topics.includes(`green-${run}.${topic}`), "prefixed topics");
        assert.ok(!topics.includes(topic), "no unprefixed topic");
        const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
        assert.ok(groups.includes(`blue-${run}.search-indexer.${topic}`) && groups.includes(`green-${run}.search-indexer.${topic}`), "prefixed groups");
        await admin.deleteTopics({ topics: [`blue-${run}.${topic}`, `green-${run}.${topic}`] }).catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
    }
  });
});

it("reads KAFKA_TOPIC_PREFIX (default empty) and refuses characters Kafka does not allow in a topic name", () => {
  assert.equal(loadConfig({}).events.topicPrefix, "");
  assert.equal(loadConfig({ KAFKA_TOPIC_PREFIX: "staging." }).events.topicPrefix, "staging.");
  assert.throws(() => loadConfig({ KAFKA_TOPIC_PREFIX: "staging/" }), /KAFKA_TOPIC_PREFIX/);
});
