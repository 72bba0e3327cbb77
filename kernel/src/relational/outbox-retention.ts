import type { Logger } from "../logging/logger.js";
import { startNudgedWorker } from "../runtime/nudged-worker.js";
import { Prisma, queryDirect, type PrismaClient } from "./prisma-client.js";

/**
 * How long a published outbox row is kept: a week, as long as the event bus keeps a topic
 * (Kafka's default retention), so an operator tracing an event finds its row for as long as a
 * consumer could still read it, and a published row is never needed after that. Nothing reads
 * published rows: the relay takes only unpublished ones, and consumers dedupe by event id in
 * their own ProcessedEvent table. A constant, not a setting.
 */
export const OUTBOX_PUBLISHED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Rows one delete takes: a short statement that holds few locks, repeated until none are due. */
export const OUTBOX_PRUNE_BATCH = 1_000;

/**
 * Deletes up to `limit` rows published more than `retentionMs` ago, by the database's clock
 * (the one that stamped publishedAt), oldest first; how many it deleted. Unpublished rows are
 * never touched, however old: they are events still owed to the bus. Rows another pruner is
 * deleting are skipped, so relays in every process prune side by side without waiting.
 */
export async function prunePublishedOutbox(prisma: PrismaClient, options: { retentionMs: number; limit: number }): Promise<number> {
  // Served by the (publishedAt, occurredAt) index: published rows past the cutoff are a range.
  const rows = await queryDirect<{ deleted: number }>(
    prisma,
    Prisma.sql`
      WITH due AS (
        SELECT id FROM "OutboxEvent"
        WHERE "publishedAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => ${options.retentionMs}::float8 / 1000)
        ORDER BY "publishedAt" LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED
      ),
      gone AS (DELETE FROM "OutboxEvent" AS row USING due WHERE row.id = due.id RETURNING 1)
      SELECT count(*)::int AS deleted FROM gone`,
  );
  return rows[0]?.deleted ?? 0;
}

/**
 * Keeps the outbox to its unpublished rows and a bounded tail of published ones: every
 * `everyMs` (and once at start) deletes published rows past `retentionMs`, a batch at a time
 * until none are due. Without it every event ever written stayed in the table, growing it (and
 * its index, which the relay's every poll reads) by a row per event for good.
 */
export function startOutboxRetention(deps: { prisma: PrismaClient; logger: Logger; retentionMs?: number; everyMs?: number; batchSize?: number }) {
  const retentionMs = deps.retentionMs ?? OUTBOX_PUBLISHED_RETENTION_MS;
  const limit = deps.batchSize ?? OUTBOX_PRUNE_BATCH;
  return startNudgedWorker({
    pollMs: deps.everyMs ?? 60_000,
    drain: async (isStopped) => {
      let deleted = 0;
      for (;;) {
        const batch = await prunePublishedOutbox(deps.prisma, { retentionMs, limit });
        deleted += batch;
        if (batch < limit || isStopped()) break;
      }
      if (deleted > 0) deps.logger.info("published outbox rows past their retention deleted", { deleted, retentionMs });
      return deleted > 0;
    },
    onError: (error, failures) => {
      if (failures === 1 || failures % 50 === 0) deps.logger.warn("outbox retention could not delete published rows; will retry", { error: String(error), failures });
    },
  });
}
