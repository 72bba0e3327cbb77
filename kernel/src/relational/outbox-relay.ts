import { eventFromOutboxRow } from "./outbox-trace.js";
import { outsideAnyTrace } from "../observability/tracing-context.js";
import type { DomainEvent, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import { inDirectTransaction, Prisma, type PrismaClient } from "./prisma-client.js";
import { startNudgedWorker } from "../runtime/nudged-worker.js";
import { watchOutboxBacklog } from "../observability/metrics-outbox-backlog.js";
import { startOutboxRetention } from "./outbox-retention.js";

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  type: string;
  payload: unknown;
  occurredAt: Date;
}

// Any constant works; it only has to be the same in every process running a relay.
const RELAY_LOCK = 7_340_021;

/**
 * Publishes outbox rows to the event bus in commit order, then marks them published.
 * - One relay publishes at a time (a transaction-scoped advisory lock), so per-key order
 *   holds even with a relay in every process.
 * - A failed publish leaves the rows unpublished; the next poll retries them, so a broker
 *   outage delays events but never loses them (at-least-once; consumers dedupe by id).
 * - `nudge()` after a commit publishes at once instead of waiting for the next poll.
 * - Published rows are deleted once past their retention (see startOutboxRetention), so the
 *   table holds what is owed to the bus and a bounded tail, not every event ever written.
 */
export function startOutboxRelay(deps: {
  prisma: PrismaClient;
  bus: EventBus;
  logger: Logger;
  pollMs?: number;
  idlePollMs?: number;
  batchSize?: number;
  retention?: { retentionMs?: number; processedEventsMs?: number; everyMs?: number; batchSize?: number };
}) {
  const { prisma, bus, logger } = deps;
  const batchSize = deps.batchSize ?? 200;

  /** Publishes the next batch; `busy` when another relay holds the lock (its snapshot may predate our rows). */
  async function relayBatch(): Promise<{ published: number; busy: boolean }> {
    // On a pooled connection of its own, not in Prisma's interactive transaction: the relay runs
    // after most commits of a checkout, and Prisma's machinery cost more than its statement.
    // The connection's bounds hold it as Prisma's 30 s timeout did: a publish that stalls
    // past the pool's idle-in-transaction bound (30 s) ends the transaction, its rows unpublished.
    return inDirectTransaction(prisma, async (statement) => {
      // One statement: the relay lock, then the oldest unpublished rows, marked published. If
      // publishing fails, the transaction rolls back and they are unpublished again. The
      // re-check of "publishedAt" skips rows a relay that held the lock just before published
      // after this statement's snapshot was taken. The join answers one row (with no id) when
      // nothing moved, saying whether the lock was ours.
      const answer = await statement<Partial<OutboxRow> & { locked: boolean }>(Prisma.sql`
        WITH relay AS (SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked),
        due AS (
          SELECT id FROM "OutboxEvent" WHERE "publishedAt" IS NULL AND (SELECT locked FROM relay)
          ORDER BY "occurredAt", id LIMIT ${batchSize}
        ),
        moved AS (
          UPDATE "OutboxEvent" AS row SET "publishedAt" = (now() AT TIME ZONE 'UTC')
          FROM due WHERE row.id = due.id AND row."publishedAt" IS NULL
          RETURNING row.id, row.topic, row.key, row.type, row.payload, row."occurredAt"
        )
        SELECT relay.locked, moved.* FROM relay LEFT JOIN moved ON true`);
      const rows = answer.filter((row): row is OutboxRow & { locked: boolean } => row.id != null);
      if (rows.length === 0) return { published: 0, busy: !answer[0]?.locked };
      rows.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const byTopic = new Map<string, DomainEvent[]>();
      for (const row of rows) {
        const events = byTopic.get(row.topic) ?? [];
        events.push(eventFromOutboxRow(row));
        byTopic.set(row.topic, events);
      }
      // Each event continues the trace its row kept; one without is a trace of its own, not
      // a part of this poll's.
      for (const [topic, events] of byTopic) await outsideAnyTrace(() => bus.publish(topic, events));
      return { published: rows.length, busy: false };
    });
  }

  const worker = startNudgedWorker({
    // False when nothing was due: idle, the poll slows down to idlePollMs. Every writer of
    // this process nudges the relay after its commit, so the idle poll is only for rows left
    // by a process that died before publishing them. A relay that finds another one holding
    // the lock looks again at the short poll: that one's snapshot may predate the rows it was
    // nudged for.
    drain: async (isStopped) => {
      let published = 0;
      for (;;) {
        const batch = await relayBatch();
        published += batch.published;
        if (batch.busy) return true;
        if (isStopped() || batch.published < batchSize) return published > 0;
      }
    },
    pollMs: deps.pollMs ?? 250,
    idlePollMs: deps.idlePollMs ?? 10_000,
    onError: (error, failures) => {
      if (failures === 1 || failures % 50 === 0) logger.warn("outbox relay could not publish; will retry", { error: String(error), failures });
    },
  });
  const unwatchBacklog = watchOutboxBacklog(prisma);
  const retention = startOutboxRetention({ prisma, logger, ...deps.retention });
  return {
    nudge: worker.nudge,
    stop: async (): Promise<void> => {
      unwatchBacklog();
      await Promise.all([worker.stop(), retention.stop()]);
    },
  };
}

export type OutboxRelay = ReturnType<typeof startOutboxRelay>;
