import type { DomainEvent } from "../events/event-bus.js";
import type { Prisma, PrismaClient } from "./prisma-client.js";

/**
 * Applies an event at most once per consumer: the event id is recorded in the same
 * transaction as the work, so a redelivered event (at-least-once delivery) finds its id
 * and is skipped, and a crash mid-way leaves neither the work nor the record.
 * Returns false when the event had already been applied.
 */
export async function processOnce(
  prisma: PrismaClient,
  consumer: string,
  event: DomainEvent,
  work: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO "ProcessedEvent" (consumer, "eventId", "processedAt") VALUES (${consumer}, ${event.id}, now())
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return false;
    await work(tx);
    return true;
  });
}
