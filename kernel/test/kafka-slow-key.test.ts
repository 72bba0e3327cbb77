// kafkajs fetches again only once every batch of its last fetch is handled. A key whose handler
// takes seconds (a payment provider timing out) would then hold back every partition of its
// consumer; events of other keys that arrive while it runs must not wait for it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { KafkaEventBus } from "#kernel/adapters.ts";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import type { DomainEvent } from "#kernel";
import { newEvent } from "#kernel/events/new-event.ts";

const PARTITIONS = 3;

/** The partition the bus's producer writes a key to. */
function partitionOf(topic: string, key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata);
  return Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key, value: null } });
}

const until = (what: string, done: () => boolean) => waitFor(what, done, { timeoutMs: 20_000, intervalMs: 25 });

describeWithRealEngine({ suite: "Kafka: a slow key", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  const list = brokers.split(",").map((b) => b.trim());

  it("holds back its own partition only, and what it held is handled once and committed", { timeout: 90_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `slow-key.${run}`;
    const group = `slow-key-${run}`;
    const bus = new KafkaEventBus({ brokers: list, clientId: "slow-key-test", partitions: PARTITIONS, maxBackoffMs: 50, maxWaitTimeMs: 500, slowBatchMs: 200 });
    const slow = newEvent("slow.tested", "slow-key", {});
    const others = Array.from({ length: 19 }, (_, i) => newEvent("slow.tested", `key-${i}`, {}));
    const slowPartition = partitionOf(topic, slow.key);
    const elsewhere = others.filter((e) => partitionOf(topic, e.key) !== slowPartition).map((e) => e.key);
    const behind = others.filter((e) => partitionOf(topic, e.key) === slowPartition).map((e) => e.key);
    assert.ok(elsewhere.length >= 5 && behind.length >= 1, "the keys spread over the slow key's partition and the others");

    const handled: string[] = [];
    let slowStarted = false;
    let releaseSlow!: () => void;
    const slowMayFinish = new Promise<void>((resolve) => (releaseSlow = resolve));
    try {
      await bus.subscribe({
        topic,
        group,
        start: "earliest",
        handle: async (event: DomainEvent) => {
          if (event.id === slow.id) {
            slowStarted = true;
            await slowMayFinish;
          }
          handled.push(event.key);
        },
      });
      await bus.publish(topic, [slow]);
      await until("the slow handler runs", () => slowStarted);
      // Published while it runs: a later fetch than the slow event's.
      await bus.publish(topic, others);
      await until("every key of the other partitions is handled", () => elsewhere.every((key) => handled.includes(key)));
      assert.deepEqual(
        handled.filter((key) => behind.includes(key)),
        [],
        "the slow key's partition waits for it: its later events are not fetched meanwhile",
      );
      releaseSlow();
      await until("every event is handled", () => handled.length >= others.length + 1);
      await delay(500);
      assert.equal(handled.length, others.length + 1, `each event handled once: ${handled.join(", ")}`);
      assert.ok(handled.indexOf("slow-key") < Math.min(...behind.map((key) => handled.indexOf(key))), "its partition goes on after it");
    } finally {
      releaseSlow();
      await bus.close();
    }

    // The slow batch was committed after its fetch was: the group's next member reads on from there.
    const next = new KafkaEventBus({ brokers: list, clientId: "slow-key-test-next", partitions: PARTITIONS, maxBackoffMs: 50, maxWaitTimeMs: 500 });
    const redelivered: string[] = [];
    try {
      await next.subscribe({ topic, group, start: "earliest", handle: async (event) => void redelivered.push(event.key) });
      const marker = newEvent("slow.tested", slow.key, {});
      await next.publish(topic, [marker]);
      await until("the marker is handled", () => redelivered.length >= 1);
      await delay(500);
      assert.deepEqual(redelivered, [slow.key], "only the new event: nothing handled before is delivered again");
    } finally {
      await next.close();
    }
  });

  it("does not hold up a rebalance while it runs, and nothing is lost across it", { timeout: 120_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `slow-key-rebalance.${run}`;
    const group = `slow-key-rebalance-${run}`;
    const options = { brokers: list, partitions: PARTITIONS, maxBackoffMs: 50, maxWaitTimeMs: 500, slowBatchMs: 200 };
    const first = new KafkaEventBus({ ...options, clientId: "slow-key-first" });
    const second = new KafkaEventBus({ ...options, clientId: "slow-key-second" });
    const slow = newEvent("slow.tested", "slow-key", {});
    const others = Array.from({ length: 9 }, (_, i) => newEvent("slow.tested", `key-${i}`, {}));
    const finished: string[] = [];
    let slowStarted = false;
    let releaseSlow!: () => void;
    const slowMayFinish = new Promise<void>((resolve) => (releaseSlow = resolve));
    const handle = async (event: DomainEvent) => {
      if (event.id === slow.id && !slowStarted) {
        slowStarted = true;
        await slowMayFinish;
      }
      finished.push(event.id);
    };
    try {
      await first.subscribe({ topic, group, start: "earliest", handle });
      await first.publish(topic, [slow, ...others]);
      await until("the slow handler runs", () => slowStarted);
      await delay(400);
      // A second member joins while the slow batch is past its fetch: the group rebalances
      // without waiting for the slow handler (it would until the join timed out).
      let released = false;
      const valve = setTimeout(() => {
        released = true;
        releaseSlow();
      }, 8_000);
      await second.subscribe({ topic, group, start: "earliest", handle });
      assert.equal(released, false, "the second member joined while the slow handler still ran");
      clearTimeout(valve);
      releaseSlow();
      // A batch unfinished at the rebalance is not committed by its old member: whoever owns its
      // partition now reads it again, so every event is handled at least once.
      await until("every event is handled", () => [slow, ...others].every((e) => finished.includes(e.id)));
    } finally {
      releaseSlow();
      await Promise.all([first.close(), second.close()]);
    }
  });
});
