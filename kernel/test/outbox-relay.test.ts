import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createLogger, newEvent, type DomainEvent, type EventBus, type SubscribeOptions, type Subscription } from "#kernel";
import { createPrismaClient, startOutboxRelay, writeOutbox, type PrismaClient } from "#kernel/relational";
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
  });
}

defineRelaySuite("embedded");
if (hasDatabase("real")) defineRelaySuite("real");
