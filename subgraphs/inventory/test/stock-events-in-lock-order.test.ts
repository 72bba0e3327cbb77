// A stock change's time is taken by the process before it waits for the variant's row lock (a
// hot row in a flash sale, a second replica whose clock runs behind), so two changes of one
// variant can be made in one order and stamped in the other. The StockChanged events must still
// say the variant's story in the order it happened: the outbox relay publishes by event time,
// and the listings keep a variant's in-stock flag from the event with the latest time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, EmbeddedEventBus, Topics, type DomainEvent, type StockChangedPayload } from "#kernel";
import { createPrismaClient, startOutboxRelay, type PrismaClient } from "#kernel/relational";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { createTestDatabase } from "../../../test/support/test-database.js";
import { PrismaStockLedger } from "../src/adapters/prisma-stock-ledger.js";
import { EmbeddedListingIndex } from "../../products/src/adapters/embedded-listing-index.js";
import { startStockFlags } from "../../products/src/listing/listing-feeds.js";
import { listedProduct } from "../../products/test/listing-index.contract.js";

const HOUR = 3_600_000;

function defineStockEventOrder(engine: string, createDatabase: () => Promise<{ url: string; drop(): Promise<void> }>): void {
  describe(engineSuiteTitle("stock events in the order the changes were made", engine), { timeout: 60_000 }, () => {
    let prisma: PrismaClient;
    let ledger: PrismaStockLedger;
    let drop: () => Promise<void>;
    before(async () => {
      const db = await createDatabase();
      drop = db.drop;
      prisma = createPrismaClient(db.url, { poolSize: 4 });
      ledger = new PrismaStockLedger(prisma);
    });
    after(async () => {
      await prisma?.$disconnect();
      await drop?.();
    });

    /** Every StockChanged of the variant, as the relay publishes them to a bus. */
    async function published(variantId: string, consume: (bus: EmbeddedEventBus) => Promise<{ stop(): Promise<void> }>): Promise<DomainEvent<StockChangedPayload>[]> {
      const bus = new EmbeddedEventBus();
      const seen: DomainEvent<StockChangedPayload>[] = [];
      const tap = await bus.subscribe({ topic: Topics.stockChanged, group: "order-tap", start: "earliest", handle: async (event) => void seen.push(event as DomainEvent<StockChangedPayload>) });
      const consumer = await consume(bus);
      const [unpublished] = await prisma.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM "OutboxEvent" WHERE topic = ${Topics.stockChanged} AND "publishedAt" IS NULL`;
      const relay = startOutboxRelay({ prisma, bus, logger: createLogger("silent"), pollMs: 20, idlePollMs: 20 });
      try {
        await waitFor("every stock event is published", () => seen.length >= unpublished!.count);
        return seen.filter((event) => event.payload.variantId === variantId);
      } finally {
        await relay.stop();
        await tap.stop();
        await consumer.stop();
        await bus.close();
      }
    }

    it("a give-back stamped before the sale it waited behind is published after it, later, and the listing shows the unit back in stock", async () => {
      const product = listedProduct();
      const variantId = product.id;
      const t = Date.now();
      await ledger.createLevels([{ variantId, available: 1 }], async () => {}, new Date(t));
      // Buyer A, on a replica whose clock is 2 s ahead, takes the last unit: sold out.
      const sold = await ledger.reserve({ reservationId: `a-${variantId}`, items: [{ variantId, quantity: 1 }], expiresAt: new Date(t + HOUR), now: new Date(t + 2_000) });
      assert.equal(sold.kind, "reserved");
      // Buyer A's hold goes back, on a replica whose clock reads 1 s ahead: it read its clock
      // before A's reserve committed and waited for the row.
      const released = await ledger.release(`a-${variantId}`, new Date(t + 1_000));
      assert.equal(released?.change.changes[0]?.available, 1);
      assert.equal((await ledger.levels([variantId])).get(variantId)?.available, 1);

      const listings = new EmbeddedListingIndex();
      await listings.sync(new Map([[product.id, product]]));
      const events = await published(variantId, (bus) => startStockFlags({ bus, listings, logger: createLogger("silent") }));
      assert.deepEqual(
        events.map((event) => event.payload.available),
        [1, 0, 1],
        "created with one, sold out, one back: in the order the changes were made",
      );
      const times = events.map((event) => Date.parse(event.occurredAt));
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, `each change later than the one before it: ${events.map((e) => e.occurredAt).join(", ")}`);
      const inStock = (await listings.list({ first: 10, sort: { field: "NEWEST", direction: "DESC" }, filter: { inStock: true } })).items.map((item) => item.id);
      assert.deepEqual(inStock, [product.id], "one unit is on sale: the listing says in stock");
    });

    it("changes of every kind, each stamped earlier than the one before it, still publish in the order they were made", async () => {
      const variantId = listedProduct().id;
      let clock = Date.now() + 60_000;
      const earlier = () => new Date((clock -= 1_000));
      await ledger.createLevels([{ variantId, available: 2 }], async () => {}, earlier());
      await ledger.reserve({ reservationId: `b-${variantId}`, items: [{ variantId, quantity: 2 }], expiresAt: new Date(Date.now() + HOUR), now: earlier() });
      await ledger.restock({ variantId, quantity: 3 }, earlier());
      await ledger.putBack(`return-${variantId}`, [{ variantId, quantity: 1 }], earlier());
      await ledger.release(`b-${variantId}`, earlier());
      await ledger.reserve({ reservationId: `d-${variantId}`, items: [{ variantId, quantity: 1 }], expiresAt: new Date(Date.now() - HOUR), now: earlier() });
      await ledger.expireDue(earlier(), 10);
      await ledger.reserve({ reservationId: `c-${variantId}`, items: [{ variantId, quantity: 6 }], expiresAt: new Date(Date.now() + HOUR), now: earlier() });
      await ledger.commit(`c-${variantId}`, earlier());
      const events = await published(variantId, async () => ({ stop: async () => {} }));
      assert.deepEqual(
        events.map((event) => event.payload.available),
        [2, 0, 3, 4, 6, 5, 6, 0],
        "created, reserved, restocked, a return, released, held and expired, reserved and sold (a sale of held units changes nothing on sale)",
      );
      const times = events.map((event) => Date.parse(event.occurredAt));
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, events.map((e) => e.occurredAt).join(", "));
    });
  });
}

defineStockEventOrder("embedded-postgres", () => createTestDatabase("embedded"));

describeWithRealEngine({ suite: "stock events in the order the changes were made", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => {
  defineStockEventOrder("postgresql", () => createTestDatabase("real"));
});
