import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLogger, newEvent } from "#kernel";
import { waitFor } from "#kernel/testing";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";
import { startPrivateKafka } from "../../test/support/private-engines.js";

// Not part of `npm test` (its file name does not end in .test.ts): on a loaded machine the
// private broker's first consumer-group join once took over 120 s, which made it flaky there.
// Run it on its own: `eval "$(scripts/services.sh env)"; npx tsx --test kernel/test/kafka-consumer-recovery.chaos.ts`
//
// Needs the Kafka jars `scripts/services.sh up` fetches, as every real-engine run has; the
// broker here is private, so crashing it disturbs nobody.
const realEngines = Boolean(process.env.KAFKA_BROKERS);

describe("a Kafka consumer after its broker crashed", { skip: realEngines ? false : "KAFKA_BROKERS is not set (no Kafka jars installed by scripts/services.sh)" }, () => {
  it("comes back by itself once the broker is back, however long kafkajs gave up before, and delivers what was published after", { timeout: 240_000 }, async () => {
    const kafka = await startPrivateKafka();
    const lines: string[] = [];
    const logger = createLogger("warn", {}, (line) => void lines.push(line));
    const bus = new KafkaEventBus({ brokers: [kafka.url], clientId: `recovery-${randomUUID().slice(0, 8)}`, logger, maxBackoffMs: 50, publishTimeoutMs: 3_000, subscribeTimeoutMs: 120_000 });
    const received = new Set<string>();
    try {
      await bus.subscribe({ topic: "recovery.events", group: "recovery", start: "earliest", handle: async (event) => void received.add(event.id) });
      const before = newEvent("Probe", "k0", { n: 0 });
      await bus.publish("recovery.events", [before]);
      await waitFor("the first event is delivered", () => received.has(before.id), { timeoutMs: 30_000, intervalMs: 50 });

      await kafka.crash();
      // Long enough for the consumer to use up its retries and crash for good.
      await waitFor("the consumer crashes", () => lines.some((line) => line.includes("event_consumer_crashed")), { timeoutMs: 90_000, intervalMs: 200 });
      await kafka.start();

      const after = Array.from({ length: 20 }, (_, i) => newEvent("Probe", `k${i}`, { n: i + 1 }));
      await waitFor("the broker takes a publish again", async () => bus.publish("recovery.events", after).then(() => true, () => false), { timeoutMs: 60_000, intervalMs: 500 });
      await waitFor("every event published after the crash is delivered", () => after.every((event) => received.has(event.id)), { timeoutMs: 90_000, intervalMs: 100 });
      assert.ok(lines.some((line) => line.includes("event_consumer_crashed")));
    } finally {
      await bus.close();
      await kafka.close();
    }
  });
});
