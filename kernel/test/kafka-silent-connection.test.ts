// A broker connection that goes silent (a hung broker, a network path that lost the
// connection's state) while new connections would be served: kafkajs keeps the silent one and
// every later send on it timed out, so an outbox relay never published again until its process
// restarted, and orders stayed PENDING. A failed publish now gives up its producer.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { describe, it } from "node:test";
import type { ISocketFactory } from "kafkajs";
import { newEvent } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";

const PUBLISH_TIMEOUT_MS = 2_000;

describeWithRealEngine({ suite: "a Kafka publisher whose broker connection goes silent", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  describe("a Kafka publisher whose broker connection goes silent", { timeout: 60_000 }, () => {
    it("fails the publish on the silent connection within its deadline and publishes on a new connection at the next try", async () => {
      // The client's own connections, so this test can silence them without touching the shared broker.
      const sockets: net.Socket[] = [];
      const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
        const socket = net.connect({ host, port }, onConnect);
        sockets.push(socket);
        return socket;
      };
      const bus = new KafkaEventBus({ brokers: brokers.split(","), clientId: `silent-${randomUUID().slice(0, 8)}`, topicPrefix: `silent-${randomUUID().slice(0, 8)}.`, publishTimeoutMs: PUBLISH_TIMEOUT_MS, socketFactory });
      const publish = (n: number) => bus.publish("probe.events", [newEvent("Probe", `k${n}`, { n })]);
      try {
        await publish(0);
        // Every connection open now stops reading the broker's answers: requests go out, nothing comes back.
        for (const socket of sockets) socket.pause();
        const startedAt = performance.now();
        await assert.rejects(publish(1));
        assert.ok(performance.now() - startedAt < PUBLISH_TIMEOUT_MS + 3_000, "the silent publish ended at its deadline");
        // The relay's next try: on new connections, which the broker serves.
        const outcomes: string[] = [];
        for (let n = 2; n < 5; n++) outcomes.push(await publish(n).then(() => "published", (error: Error) => error.message));
        assert.deepEqual(outcomes, ["published", "published", "published"]);
      } finally {
        for (const socket of sockets) socket.destroy();
        await bus.close();
      }
    });
  });
});
