import { Gauge } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";
import { boundedCollector } from "./metrics-bounded-collector.js";

/** Counting stops here: beyond it the relay is far behind whatever the exact number. */
export const OUTBOX_BACKLOG_COUNT_LIMIT = 100_000;

interface Queryable {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

// Served by the (publishedAt, occurredAt) index: unpublished rows are a range at its start.
const BACKLOG_SQL = `
  SELECT count(*)::int AS backlog,
         COALESCE(EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - min("occurredAt"))), 0)::float8 AS oldest
  FROM (SELECT "occurredAt" FROM "OutboxEvent" WHERE "publishedAt" IS NULL LIMIT ${OUTBOX_BACKLOG_COUNT_LIMIT}) AS due`;

const databases = new Set<Queryable>();

const collect = boundedCollector("outbox", { deadlineMs: 1_000, reuseMs: 1_000, active: () => databases.size > 0 }, async () => {
  // Every relay of a process shares one database: asking one of them is enough.
  const [database] = databases;
  const [row] = await database!.$queryRawUnsafe<{ backlog: number; oldest: number }[]>(BACKLOG_SQL);
  return row;
});

new Gauge({
  name: "storefront_outbox_backlog_events",
  help: `Outbox rows committed but not yet published to the event bus (counted up to ${OUTBOX_BACKLOG_COUNT_LIMIT}); 0 in processes without an outbox relay (read it with max()).`,
  registers: [metricsRegistry],
  async collect() {
    if (!databases.size) return this.reset();
    const row = await collect();
    if (row) this.set(row.backlog);
  },
});

new Gauge({
  name: "storefront_outbox_oldest_event_age_seconds",
  help: "Age of the oldest unpublished outbox row (0 when none is waiting): how late events are.",
  registers: [metricsRegistry],
  async collect() {
    if (!databases.size) return this.reset();
    const row = await collect();
    if (row) this.set(row.oldest);
  },
});

/** Reports the outbox backlog of this database on scrape until the returned function is called. */
export function watchOutboxBacklog(database: Queryable): () => void {
  databases.add(database);
  return () => void databases.delete(database);
}
