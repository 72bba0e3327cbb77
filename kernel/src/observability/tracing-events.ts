import { context, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { DomainEvent } from "../events/event-bus.js";
import { activeTraceCarrier, contextFromCarrier, tracingEnabled } from "./tracing-context.js";

const tracer = () => trace.getTracer("storefront-events");

/**
 * Publishes events each under a producer span of its own, child of the trace the event
 * carries (an outbox row remembers the request that wrote it) or else of the active one, and
 * hands `send` copies that carry the producer span's context: a consumer's span becomes its
 * child, so one checkout stays one trace through the bus, whichever process relays it.
 * With tracing off, `send` gets the events unchanged (a carried context still travels).
 */
export function publishTraced(engine: string, topic: string, events: DomainEvent[], send: (events: DomainEvent[]) => Promise<void>): Promise<void> {
  // Not async: off, the publish costs no promise of its own.
  if (!tracingEnabled() || events.length === 0) return send(events);
  return publishInSpans(engine, topic, events, send);
}

async function publishInSpans(engine: string, topic: string, events: DomainEvent[], send: (events: DomainEvent[]) => Promise<void>): Promise<void> {
  const spans: Span[] = [];
  const stamped = events.map((event) => {
    const parent = event.trace ? contextFromCarrier(event.trace) : context.active();
    const span = tracer().startSpan(
      `publish ${topic}`,
      { kind: SpanKind.PRODUCER, attributes: messagingAttributes("send", engine, topic, event) },
      parent,
    );
    spans.push(span);
    return { ...event, trace: activeTraceCarrier(trace.setSpan(parent, span)) };
  });
  try {
    await send(stamped);
  } catch (error) {
    for (const span of spans) failed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

/**
 * Wraps a subscriber's handler: each delivery runs in a consumer span, child of the
 * producer span the event carries, so what the handler does (queries, calls, the events it
 * writes to an outbox) joins the publisher's trace. A failed attempt is a failed span; the
 * redelivery is a span of its own.
 */
export function handleTraced(engine: string, topic: string, group: string, handle: (event: DomainEvent) => Promise<void>): (event: DomainEvent) => Promise<void> {
  return (event) => {
    if (!tracingEnabled()) return handle(event);
    const span = tracer().startSpan(
      `process ${topic}`,
      { kind: SpanKind.CONSUMER, attributes: { ...messagingAttributes("process", engine, topic, event), "messaging.consumer.group.name": group } },
      contextFromCarrier(event.trace),
    );
    return context.with(trace.setSpan(contextFromCarrier(event.trace), span), async () => {
      try {
        await handle(event);
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
  };
}

function messagingAttributes(operation: "send" | "process", engine: string, topic: string, event: DomainEvent) {
  return {
    "messaging.system": engine,
    "messaging.operation.type": operation,
    "messaging.destination.name": topic,
    "messaging.message.id": event.id,
    "messaging.message.conversation_id": event.key,
    "storefront.event.type": event.type,
  };
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
