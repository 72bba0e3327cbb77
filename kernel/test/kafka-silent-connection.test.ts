// A broker connection that goes silent (a hung broker, a network path that lost the
// connection's state) while new connections would be served: kafkajs keeps the silent one and
// every later call on it timed out. For the producer, an outbox relay never published again until
// its process restarted, and orders stayed PENDING; for the admin client, no topic was created
// (a first publish to a topic, a dead-letter topic, a new subscription) and no subscription
// starting at "latest" could read its ends; for the consumer lag's own admin client, every scrape
// after reported the collector down. A failed call now gives its client up.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { newEvent, renderMetrics } from "#kernel";
import { describeWithRealEngine, silenceableSockets, waitFor } from "#kernel/testing";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";
import { withConsumerLagMetrics } from "../src/observability/metrics-consumer-lag.js";

const PUBLISH_TIMEOUT_MS = 2_000;

describeWithRealEngine({ suite: "a Kafka publisher whose broker connection goes silent", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  const busOn = (sockets: ReturnType<typeof silenceableSockets>) =>
    new KafkaEventBus({ brokers: brokers.split(","), clientId: `silent-${randomUUID().slice(0, 8)}`, topicPrefix: `silent-${randomUUID().slice(0, 8)}.`, publishTimeoutMs: PUBLISH_TIMEOUT_MS, socketFactory: sockets.socketFactory });

  describe("a Kafka publisher whose broker connection goes silent", { timeout: 90_000 }, () => {
    it("fails the publish on the silent connection within its deadline and publishes on a new connection at the next try", async () => {
      const sockets = silenceableSockets();
      const bus = busOn(sockets);
      const publish = (n: number) => bus.publish("probe.events", [newEvent("Probe", `k${n}`, { n })]);
      try {
        await publish(0);
        sockets.silence();
        const startedAt = performance.now();
        await assert.rejects(publish(1));
        assert.ok(performance.now() - startedAt < PUBLISH_TIMEOUT_MS + 3_000, "the silent publish ended at its deadline");
        // The relay's next try: on new connections, which the broker serves.
        const outcomes: string[] = [];
        for (let n = 2; n < 5; n++) outcomes.push(await publish(n).then(() => "published", (error: Error) => error.message));
        assert.deepEqual(outcomes, ["published", "published", "published"]);
        // kafkajs went on retrying the given-up send past its deadline, and a retry after the
        // producer's disconnect opened a connection nothing ever closed (it kept the process alive).
        await bus.close();
        await waitFor("every connection of the closed bus is closed", () => sockets.open() === 0, { timeoutMs: 30_000, intervalMs: 100 });
      } finally {
        sockets.destroy();
        await bus.close();
      }
    });

    it("creates topics and subscribes on a new admin connection once a call on the silent one failed", async () => {
      const sockets = silenceableSockets();
      const bus = busOn(sockets);
      const publishTo = (topic: string) => bus.publish(topic, [newEvent("Probe", "k", { topic })]);
      try {
        // Connects the admin client (the topic is created) and the producer.
        await publishTo("first.events");
        sockets.silence();
        const silencedAt = performance.now();
        // A topic not seen before: its creation is asked of the admin client, now silent.
        await assert.rejects(publishTo("second.events"), /did not complete within/);
        assert.ok(performance.now() - silencedAt < PUBLISH_TIMEOUT_MS + 3_000, "the silent publish ended at its deadline");
        // Tries as a relay would, each to a topic never seen: the admin client's own request
        // timeout and retries (5 s, 3) end the call on the silent connection, which gives it up.
        let published = false;
        for (let n = 0; !published && performance.now() - silencedAt < 45_000; n++) published = await publishTo(`new-${n}.events`).then(() => true, () => false);
        assert.ok(published, "a publish to a new topic succeeded within 45 s of the silence");
        const recoveredMs = performance.now() - silencedAt;
        // A subscription at "latest" reads its topic's ends through the admin client too.
        const subscription = await bus.subscribe({ topic: "latest.events", group: "probe", start: "latest", handle: async () => undefined });
        await subscription.stop();
        console.log(`# new topics published to again ${Math.round(recoveredMs)} ms after the admin connection went silent`);
      } finally {
        sockets.destroy();
        await bus.close();
      }
    });

    it("reports consumer lag again on a new admin connection once a scrape on the silent one failed", async () => {
      const sockets = silenceableSockets();
      const clientId = `silent-lag-${randomUUID().slice(0, 8)}`;
      const topicPrefix = `silent-lag-${randomUUID().slice(0, 8)}.`;
      const bus = withConsumerLagMetrics(new KafkaEventBus({ brokers: brokers.split(","), clientId, topicPrefix }), { brokers: brokers.split(","), clientId, topicPrefix, socketFactory: sockets.socketFactory });
      const lagUp = async () => /^storefront_metrics_collector_up\{collector="consumer_lag"\} 1$/m.test(await renderMetrics());
      try {
        const subscription = await bus.subscribe({ topic: "lag.events", group: "probe", handle: async () => undefined });
        // A topic this new may not be in the metadata the broker answers with yet: asked again.
        await waitFor("the lag is read before the silence", lagUp, { timeoutMs: 15_000, intervalMs: 300 });
        sockets.silence();
        const silencedAt = performance.now();
        // Scrapes as a busy Prometheus might; an answer serves scrapes for 1 s, then the collector asks.
        await waitFor("a scrape on the silent connection reports the collector down", async () => !(await lagUp()), { timeoutMs: 10_000, intervalMs: 250 });
        await waitFor("a scrape reads the lag again", lagUp, { timeoutMs: 30_000, intervalMs: 250 });
        console.log(`# consumer lag read again ${Math.round(performance.now() - silencedAt)} ms after its admin connection went silent`);
        await subscription.stop();
      } finally {
        sockets.destroy();
        await bus.close();
      }
    });
  });
});
