import type { DomainEvent } from "../events/event-bus.js";
import { Prisma } from "./prisma-client.js";
import { activeTraceCarrier } from "../observability/tracing-context.js";
import { TRACE_FIELD } from "./outbox-trace.js";

/**
 * Records events in the same transaction as the change they announce; the outbox relay
 * publishes them afterwards. Either both the change and its events commit, or neither.
 */
export async function writeOutbox(tx: Prisma.TransactionClient, topic: string, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.outboxEvent.createMany({
    data: events.map((event) => ({
      id: event.id,
      topic,
      key: event.key,
      type: event.type,
      payload: storedPayload(event) as Prisma.InputJsonValue,
      occurredAt: new Date(event.occurredAt),
    })),
  });
}

/** An event with the topic it is published on. */
export interface OutboxEntry {
  topic: string;
  event: DomainEvent;
}

/**
 * Events as one JSON array of outbox rows ({id, topic, key, type, payload, occurredAt}), for
 * writers that record them in the same statement as their change (`insertOutboxRows`, or a
 * database function taking the array).
 */
export function outboxRows(entries: readonly OutboxEntry[]): string {
  return JSON.stringify(entries.map(({ topic, event }) => ({ id: event.id, topic, key: event.key, type: event.type, payload: storedPayload(event), occurredAt: event.occurredAt })));
}

/**
 * `INSERT` of the rows `outboxRows` made, as a fragment for a data-modifying CTE or a
 * statement of its own: the events commit exactly with the change of that statement. With
 * `onlyIfRowsIn` (the name of a CTE of the same statement), they are written only when that
 * CTE returned a row, e.g. when a conditional UPDATE changed something.
 * (`occurredAt` is UTC, as every timestamp(3) column here.)
 */
export function insertOutboxRows(rows: string, onlyIfRowsIn?: string): Prisma.Sql {
  const condition = onlyIfRowsIn === undefined ? Prisma.empty : Prisma.sql`WHERE EXISTS (SELECT 1 FROM ${Prisma.raw(quoteIdentifier(onlyIfRowsIn))})`;
  return Prisma.sql`INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
    SELECT event.id, event.topic, event.key, event.type, event.payload, event."occurredAt"
    FROM jsonb_to_recordset(${rows}::jsonb) AS event(id text, topic text, key text, type text, payload jsonb, "occurredAt" timestamp(3))
    ${condition}`;
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The payload as stored: with the trace of the request that wrote the event (its own, or
 * the active one) under TRACE_FIELD, so the relay, later and in any process, publishes it
 * as part of that trace. Kept in the payload rather than a column of its own because the
 * database functions that write outbox rows copy the payload as it is.
 */
function storedPayload(event: DomainEvent): unknown {
  const trace = event.trace ?? activeTraceCarrier();
  const payload = event.payload;
  if (!trace || typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  return { ...payload, [TRACE_FIELD]: trace };
}
