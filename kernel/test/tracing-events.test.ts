// Traces across the event bus and in the logs: a delivery continues the publisher's trace on
// the embedded bus and on Kafka, concurrent publishers never share one, and what arrives from
// outside (headers, a value claiming a trace) cannot hijack or break a consumer.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Kafka, logLevel } from "kafkajs";
import { createLogger, EmbeddedEventBus, newEvent, type DomainEvent, type EventBus } from "#kernel";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { activeSpanIds, traceThisProcess } from "./support/traced-process.js";

const traced = await traceThisProcess();

interface Delivery {
  event: DomainEvent;
  seen: { traceId: string; spanId: string } | undefined;
}

const spanOf = (spans: ReadableSpan[], kind: SpanKind, eventId: string) =>
  spans.find((span) => span.kind === kind && span.attributes["messaging.message.id"] === eventId);

it("a log line written inside a span carries its traceId and spanId, one outside carries neither, and both stay one JSON object a line", async () => {
  const lines: string[] = [];
  const logger = createLogger("info", { service: "traced" }, (line) => lines.push(line));
  logger.info("outside");
  const request = await traced.inSpan("request", async (span) => {
    logger.child({ requestId: "r-1" }).info("inside", { orderId: "o-1" });
    return span;
  });
  assert.equal(lines.length, 2);
  assert.ok(lines.every((line) => !line.includes("\n")));
  const [outside, inside] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(outside!.traceId, undefined);
  assert.equal(outside!.spanId, undefined);
  assert.deepEqual(inside, { ...inside, event: "inside", service: "traced", requestId: "r-1", orderId: "o-1", traceId: request.traceId, spanId: request.spanId });
});

function defineBusSuite(open: () => Promise<EventBus>): void {
  let bus: EventBus;
  before(async () => {
    bus = await open();
  });
  after(() => bus?.close());

  async function subscribeRecording(topic: string, group: string): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    await bus.subscribe({ topic, group, start: "earliest", handle: async (event) => void deliveries.push({ event, seen: activeSpanIds() }) });
    return deliveries;
  }

  it("a delivery runs in a consumer span, child of the publish span, child of the publishing request: one trace, in every group", async () => {
    const topic = `trace.${randomUUID().slice(0, 8)}`;
    const [first, second] = [await subscribeRecording(topic, "first"), await subscribeRecording(topic, "second")];
    const event = newEvent("Traced", "key-1", { n: 1 });
    const request = await traced.inSpan("request", async (span) => {
      await bus.publish(topic, [event]);
      return span;
    });
    await waitFor("both groups received the event", () => first!.length === 1 && second!.length === 1, { timeoutMs: 20_000 });
    const spans = await traced.finished();
    const producer = spanOf(spans, SpanKind.PRODUCER, event.id)!;
    assert.equal(producer.parentSpanContext?.spanId, request.spanId);
    assert.equal(producer.spanContext().traceId, request.traceId);
    assert.equal(producer.attributes["messaging.system"], bus.engine);
    const consumers = spans.filter((span) => span.kind === SpanKind.CONSUMER && span.attributes["messaging.message.id"] === event.id);
    assert.equal(consumers.length, 2);
    for (const delivery of [first![0]!, second![0]!]) {
      const consumer = consumers.find((span) => span.spanContext().spanId === delivery.seen?.spanId);
      assert.ok(consumer, "the handler ran inside its consumer span");
      assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
      assert.equal(delivery.seen?.traceId, request.traceId);
      assert.deepEqual(delivery.event.payload, { n: 1 });
    }
  });

  it("twenty requests publishing at once: each delivery joins its own request's trace, none another's", async () => {
    const topic = `trace.${randomUUID().slice(0, 8)}`;
    const deliveries = await subscribeRecording(topic, "many");
    const requests = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        traced.inSpan(`request-${i}`, async (span) => {
          const event = newEvent("Traced", `key-${i % 3}`, { n: i });
          await bus.publish(topic, [event]);
          return { event, traceId: span.traceId };
        }),
      ),
    );
    await waitFor("every event delivered", () => deliveries.length === 20, { timeoutMs: 20_000 });
    for (const { event, traceId } of requests) {
      const delivery = deliveries.find((d) => d.event.id === event.id)!;
      assert.equal(delivery.seen?.traceId, traceId, `event ${(event.payload as { n: number }).n}`);
    }
  });
}

describe("tracing across the event bus [embedded]", () => defineBusSuite(async () => new EmbeddedEventBus()));

describeWithRealEngine({ suite: "tracing across the event bus", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  const prefix = `trace-test-${randomUUID().slice(0, 8)}.`;
  describe("tracing across the event bus [kafka]", () => {
    defineBusSuite(async () => new KafkaEventBus({ brokers: brokers.split(","), clientId: "tracing-test", topicPrefix: prefix }));

    it("hostile trace headers and a value claiming a trace are not believed: the events are still handled, each in a trace of its own", async () => {
      const bus = new KafkaEventBus({ brokers: brokers.split(","), clientId: "tracing-test-hostile", topicPrefix: prefix });
      const kafka = new Kafka({ brokers: brokers.split(","), clientId: "tracing-test-raw", logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      try {
        const topic = `trace.${randomUUID().slice(0, 8)}`;
        const deliveries: Delivery[] = [];
        await bus.subscribe({ topic, group: "hostile", start: "earliest", handle: async (event) => void deliveries.push({ event, seen: activeSpanIds() }) });
        const claimed = `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
        const hostile: (string | Buffer)[] = [
          "garbage",
          `00-${"0".repeat(32)}-${"0".repeat(16)}-01`,
          `${claimed}${"x".repeat(100_000)}`,
          Buffer.from([0xff, 0xfe, 0x00, 0x01]),
          `ff-${claimed.slice(3)}`,
        ];
        await producer.connect();
        await producer.send({
          topic: prefix + topic,
          messages: hostile.map((traceparent, i) => ({
            key: `k${i}`,
            value: JSON.stringify({ ...newEvent("Hostile", `k${i}`, { i }), trace: { traceparent: claimed } }),
            headers: { traceparent, tracestate: "y".repeat(10_000) },
          })),
        });
        await waitFor("every hostile message handled", () => deliveries.length === hostile.length, { timeoutMs: 20_000 });
        const claimedTrace = claimed.split("-")[1];
        for (const { event, seen } of deliveries) {
          assert.equal(event.trace, undefined, "no trace taken from a bad header or from the value");
          assert.match(seen?.traceId ?? "", /^[0-9a-f]{32}$/);
          assert.notEqual(seen?.traceId, claimedTrace);
          assert.notEqual(seen?.traceId, "0".repeat(32));
        }
        assert.equal(new Set(deliveries.map((d) => d.seen?.traceId)).size, hostile.length, "one new trace per message");
        const roots = (await traced.finished()).filter((span) => span.kind === SpanKind.CONSUMER && deliveries.some((d) => d.event.id === span.attributes["messaging.message.id"]));
        assert.ok(roots.every((span) => span.parentSpanContext === undefined));
      } finally {
        await producer.disconnect();
        await bus.close();
      }
    });
  });
});
