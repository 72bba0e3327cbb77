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

/**
 * How long a consumer's record of an event it applied (`ProcessedEvent`, the at-most-once
 * guard of every consumer) is kept, unless EVENT_REDELIVERY_WINDOW_HOURS says otherwise: as
 * long as the bus can still hand the event over again. Kafka deletes a log segment once its
 * newest event is past the topic's retention (retention.ms, a week by default), and a segment
 * takes events for up to segment.ms (a week by default) before the next one starts, so an
 * event can be read again (a group whose offsets were lost starts from the earliest) for up
 * to two weeks after it was written, and it was processed after it was written. Past that
 * the record guards nothing, and without this every event ever applied stayed, a row per
 * event per consumer.
 */
export const PROCESSED_EVENT_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

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
 * How long the inventory's once-only record of units put back (`StockReturn`: `cancel:<order>`,
 * `refund:<order>`, `return:<return>`, `restock:<key>`) is kept at least, whatever the
 * redelivery window says: the orders reconciler asks again for units promised back within the
 * last day whose record it does not find (CANCELLED_ORDER_WATCH_MS), so a record must outlive
 * that day by more than any clock skew between the two subgraphs, or the units would come back twice.
 */
export const STOCK_RETURN_MIN_RETENTION_MS = 2 * 24 * 60 * 60 * 1000;

/** A table of once-only records, each stamped when it was written: what a pruner needs to know of it. */
interface StampedRecords {
  table: string;
  key: readonly string[];
  stampedAt: string;
}

const PROCESSED_EVENTS: StampedRecords = { table: "ProcessedEvent", key: ["consumer", "eventId"], stampedAt: "processedAt" };
const STOCK_RETURNS: StampedRecords = { table: "StockReturn", key: ["id"], stampedAt: "createdAt" };

/**
 * Deletes up to `limit` records older than `retentionMs` (by the database's clock, which stamped
 * them), oldest first; how many it deleted. Served by an index on the stamp: the records past
 * the cutoff are a range. Rows another pruner is deleting are skipped, as for the outbox.
 */
async function pruneStamped(prisma: PrismaClient, records: StampedRecords, options: { retentionMs: number; limit: number }): Promise<number> {
  // Identifiers from the constants above, never from input.
  const name = (identifier: string) => Prisma.raw(`"${identifier}"`);
  const key = Prisma.join(records.key.map(name));
  const sameKey = Prisma.join(records.key.map((column) => Prisma.sql`row.${name(column)} = due.${name(column)}`), " AND ");
  const rows = await queryDirect<{ deleted: number }>(
    prisma,
    Prisma.sql`
      WITH due AS (
        SELECT ${key} FROM ${name(records.table)}
        WHERE ${name(records.stampedAt)} < (now() AT TIME ZONE 'UTC') - make_interval(secs => ${options.retentionMs}::float8 / 1000)
        ORDER BY ${name(records.stampedAt)} LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED
      ),
      gone AS (DELETE FROM ${name(records.table)} AS row USING due WHERE ${sameKey} RETURNING 1)
      SELECT count(*)::int AS deleted FROM gone`,
  );
  return rows[0]?.deleted ?? 0;
}

/** Deletes up to `limit` records of applied events older than `retentionMs`, oldest first; how many. */
export function pruneProcessedEvents(prisma: PrismaClient, options: { retentionMs: number; limit: number }): Promise<number> {
  return pruneStamped(prisma, PROCESSED_EVENTS, options);
}

/**
 * Deletes up to `limit` records of units put back older than `retentionMs` (at least
 * STOCK_RETURN_MIN_RETENTION_MS), oldest first; how many. Each is the inventory's guard against
 * applying one return twice: a StockReturnRequested redelivered, or asked for again by the orders
 * reconciler, or a restock sent again under its key. Past the redelivery window none can come.
 */
export function pruneStockReturns(prisma: PrismaClient, options: { retentionMs: number; limit: number }): Promise<number> {
  return pruneStamped(prisma, STOCK_RETURNS, { ...options, retentionMs: Math.max(options.retentionMs, STOCK_RETURN_MIN_RETENTION_MS) });
}

/**
 * Keeps the outbox to its unpublished rows and a bounded tail of published ones: every
 * `everyMs` (and once at start) deletes published rows past `retentionMs`, a batch at a time
 * until none are due. Without it every event ever written stayed in the table, growing it (and
 * its index, which the relay's every poll reads) by a row per event for good.
 */
export function startOutboxRetention(deps: {
  prisma: PrismaClient;
  logger: Logger;
  retentionMs?: number;
  /**
   * How long a record of an applied event is kept (see PROCESSED_EVENT_RETENTION_MS): a
   * consumer's ProcessedEvent, and the inventory's StockReturn (see pruneStockReturns).
   */
  processedEventsMs?: number;
  everyMs?: number;
  batchSize?: number;
}) {
  const retentionMs = deps.retentionMs ?? OUTBOX_PUBLISHED_RETENTION_MS;
  const processedEventsMs = deps.processedEventsMs ?? PROCESSED_EVENT_RETENTION_MS;
  const limit = deps.batchSize ?? OUTBOX_PRUNE_BATCH;
  /** Deletes with `prune` a batch at a time until none are due (or the worker stops); how many. */
  const pruneAll = async (prune: (options: { retentionMs: number; limit: number }) => Promise<number>, ms: number, isStopped: () => boolean) => {
    let deleted = 0;
    for (;;) {
      const batch = await prune({ retentionMs: ms, limit });
      deleted += batch;
      if (batch < limit || isStopped()) return deleted;
    }
  };
  return startNudgedWorker({
    pollMs: deps.everyMs ?? 60_000,
    drain: async (isStopped) => {
      const deleted = await pruneAll((options) => prunePublishedOutbox(deps.prisma, options), retentionMs, isStopped);
      if (deleted > 0) deps.logger.info("published outbox rows past their retention deleted", { deleted, retentionMs });
      const forgotten = isStopped() ? 0 : await pruneAll((options) => pruneProcessedEvents(deps.prisma, options), processedEventsMs, isStopped);
      if (forgotten > 0) deps.logger.info("records of applied events past the redelivery window deleted", { deleted: forgotten, retentionMs: processedEventsMs });
      const returns = isStopped() ? 0 : await pruneAll((options) => pruneStockReturns(deps.prisma, options), processedEventsMs, isStopped);
      if (returns > 0) deps.logger.info("records of units put back past the redelivery window deleted", { deleted: returns, retentionMs: processedEventsMs });
      return deleted + forgotten + returns > 0;
    },
    onError: (error, failures) => {
      if (failures === 1 || failures % 50 === 0) deps.logger.warn("outbox retention could not delete published rows; will retry", { error: String(error), failures });
    },
  });
}
