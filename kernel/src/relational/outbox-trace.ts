import type { DomainEvent } from "../events/event-bus.js";
import { traceCarrierFrom } from "../observability/tracing-context.js";

/** Where an outbox row's payload keeps the trace context of the request that wrote it. */
export const TRACE_FIELD = "$trace";

/**
 * An outbox row's event as consumers see it: the trace field taken out of the payload (no
 * consumer ever reads it there) and carried as the event's trace, if it is a valid one.
 */
export function eventFromOutboxRow(row: { id: string; type: string; key: string; payload: unknown; occurredAt: Date }): DomainEvent {
  const event: DomainEvent = { id: row.id, type: row.type, key: row.key, occurredAt: row.occurredAt.toISOString(), payload: row.payload };
  const payload = row.payload;
  if (typeof payload !== "object" || payload === null || Array.isArray(payload) || !(TRACE_FIELD in payload)) return event;
  const { [TRACE_FIELD]: stored, ...rest } = payload as Record<string, unknown>;
  const trace = traceCarrierFrom(stored as { traceparent?: unknown; tracestate?: unknown } | undefined);
  return trace ? { ...event, payload: rest, trace } : { ...event, payload: rest };
}
