// A consumer whose broker connection goes silent (a hung broker, a network path that lost the
// connection's state) while a new connection would be served. kafkajs retried its fetch on the
// silent socket five times, about 6 s each, before the consumer crashed and was replaced: 43 s
// without an event delivered. A request past its timeout now closes its connection.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLogger, newEvent } from "#kernel";
import { describeWithRealEngine, silenceableSockets, waitFor } from "#kernel/testing";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";

describeWithRealEngine({ suite: "a Kafka consumer whose broker connection goes silent", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  describe("a Kafka consumer whose broker connection goes silent", { timeout: 120_000 }, () => {
    it("delivers what is published after the silence within 20 s, to a shared group and to a process-scoped subscription", async () => {
      const prefix = `silent-consumer-${randomUUID().slice(0, 8)}.`;
      const sockets = silenceableSockets();
      const lines: string[] = [];
      const logger = createLogger("warn", {}, (line) => void lines.push(line));
      const consumerBus = new KafkaEventBus({ brokers: brokers.split(","), clientId: `silent-c-${randomUUID().slice(0, 8)}`, topicPrefix: prefix, socketFactory: sockets.socketFactory, logger });
      const publisher = new KafkaEventBus({ brokers: brokers.split(","), clientId: `silent-p-${randomUUID().slice(0, 8)}`, topicPrefix: prefix });
      const received = new Set<string>();
      const receivedByProcess = new Set<string>();
      try {
        await consumerBus.subscribe({ topic: "probe.events", group: "probe", start: "earliest", handle: async (event) => void received.add(event.id) });
        await consumerBus.subscribe({ topic: "probe.events", group: "process-probe", scope: "process", handle: async (event) => void receivedByProcess.add(event.id) });
        const before = newEvent("Probe", "k0", { n: 0 });
        await publisher.publish("probe.events", [before]);
        await waitFor("the first event is delivered", () => received.has(before.id) && receivedByProcess.has(before.id), { timeoutMs: 30_000, intervalMs: 50 });
        sockets.silence();
        const silencedAt = performance.now();
        const after = newEvent("Probe", "k1", { n: 1 });
        await publisher.publish("probe.events", [after]);
        await waitFor("the event published after the silence is delivered", () => received.has(after.id) && receivedByProcess.has(after.id), { timeoutMs: 90_000, intervalMs: 50 });
        const recoveredMs = performance.now() - silencedAt;
        const crashes = lines.filter((line) => line.includes("event_consumer_crashed")).length;
        console.log(`# delivered again ${Math.round(recoveredMs)} ms after the consumers' connections went silent; ${crashes} consumer(s) crashed`);
        assert.ok(recoveredMs < 20_000, `delivered ${Math.round(recoveredMs)} ms after the silence`);
      } finally {
        sockets.destroy();
        await Promise.all([consumerBus.close(), publisher.close()]);
      }
    });
  });
});
