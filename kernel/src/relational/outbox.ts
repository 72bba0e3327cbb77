import type { DomainEvent } from "../events/event-bus.js";
import type { Prisma } from "./prisma-client.js";

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
      payload: event.payload as Prisma.InputJsonValue,
      occurredAt: new Date(event.occurredAt),
    })),
  });
}
