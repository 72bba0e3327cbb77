import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { engineSuiteTitle, waitFor } from "#kernel/testing";
import { createPrismaClient, withDirectConnection, type PrismaClient } from "#kernel/relational";
import { PrismaStockLedger } from "../src/adapters/prisma-stock-ledger.js";
import type { StockItem } from "../src/domain/stock.js";
import { deferred, range } from "./support/proof-helpers.js";

const HOUR = 3_600_000;

/** The guarantees of the `StockLedger` port on one PostgreSQL (a fresh database per suite). */
export function defineStockLedgerContract(engine: string, createDatabase: () => Promise<{ url: string; drop(): Promise<void> }>): void {
  describe(engineSuiteTitle("StockLedger contract", engine), { timeout: 60_000 }, () => {
    let prisma: PrismaClient;
    let ledger: PrismaStockLedger;
    let drop: () => Promise<void>;
    let serial = 0;
    const now = new Date();
    const later = (ms: number) => new Date(now.getTime() + ms);
    // Each test works on its own products and reservations.
    const ids = (name: string) => `${name}-${++serial}`;
    const stock = async (levels: Record<string, number>) => {
      await ledger.createLevels(Object.entries(levels).map(([variantId, available]) => ({ variantId, available })), async () => {}, now);
    };
    const level = async (variantId: string) => (await ledger.levels([variantId])).get(variantId);
    const reserve = (reservationId: string, items: StockItem[], expiresAt = later(HOUR)) => ledger.reserve({ reservationId, items, expiresAt, now });
    const drain = async (levels: AsyncIterable<unknown>) => {
      for await (const _page of levels);
    };
    const rebuild = (begin: () => Promise<void> = async () => {}) => ledger.rebuildMirror({ begin, fill: (_epoch, levels) => drain(levels) });

    before(async () => {
      const db = await createDatabase();
      drop = db.drop;
      prisma = createPrismaClient(db.url, { poolSize: 12 });
      ledger = new PrismaStockLedger(prisma);
    });
    after(async () => {
      await prisma?.$disconnect();
      await drop?.();
    });

    it("moves reserved units from available to reserved and announces the new availability", async () => {
      const [a, b, r] = [ids("a"), ids("b"), ids("r")];
      await stock({ [a]: 5, [b]: 2 });
      const result = await reserve(r, [{ variantId: a, quantity: 3 }, { variantId: b, quantity: 2 }]);
      assert.equal(result.kind, "reserved");
      assert.deepEqual(result.kind === "reserved" && result.change.changes, [
        { variantId: a, delta: -3, available: 2 },
        { variantId: b, delta: -2, available: 0 },
      ]);
      assert.deepEqual(await level(a), { variantId: a, available: 2, reserved: 3 });
      const stored = await ledger.reservation(r);
      assert.deepEqual(stored?.items, [{ variantId: a, quantity: 3 }, { variantId: b, quantity: 2 }]);
      assert.deepEqual([stored?.status, stored?.expiresAt.toISOString()], ["HELD", later(HOUR).toISOString()]);
      const events = await prisma.outboxEvent.findMany({ where: { key: a }, orderBy: { occurredAt: "asc" } });
      assert.deepEqual(events.map((e) => [e.type, e.topic, e.payload]), [
        ["StockChanged", "inventory.stock-changed", { variantId: a, productId: a, available: 5, delta: 5 }],
        ["StockChanged", "inventory.stock-changed", { variantId: a, productId: a, available: 2, delta: -3 }],
      ]);
    });

    it("keeps each variant's stock apart, keys its events by the product and lists a product's variants", async () => {
      const product = ids("tee");
      const [red, blue, r] = [`${product}:red-m`, `${product}:blue-m`, ids("r")];
      await stock({ [red]: 1, [blue]: 3 });
      assert.deepEqual(await ledger.variantsOf([product, "nowhere"]), new Map([[product, [blue, red]]]));
      assert.equal((await reserve(r, [{ variantId: red, quantity: 1 }])).kind, "reserved");
      assert.deepEqual(await reserve(ids("r"), [{ variantId: red, quantity: 1 }]), { kind: "short", variantId: red, available: 0 });
      assert.equal((await reserve(ids("r"), [{ variantId: blue, quantity: 1 }])).kind, "reserved", "the other variant is still buyable");
      assert.deepEqual([(await level(red))?.available, (await level(blue))?.available], [0, 2]);
      const stockRow = await prisma.stockLevel.findUnique({ where: { variantId: red } });
      assert.equal(stockRow?.productId, product);
      const held = await prisma.reservationItem.findMany({ where: { reservationId: r } });
      assert.deepEqual(held.map((item) => [item.variantId, item.productId, item.quantity]), [[red, product, 1]]);
      // Every event of the product (stock created, then each reservation), whatever their order.
      const events = await prisma.outboxEvent.findMany({ where: { key: product } });
      const payload = (p: unknown) => {
        const { variantId, productId, available } = p as Record<string, unknown>;
        return `${String(variantId)} ${String(productId)} ${String(available)}`;
      };
      assert.deepEqual(events.map((e) => payload(e.payload)).sort(), [
        { variantId: red, productId: product, available: 1 },
        { variantId: blue, productId: product, available: 3 },
        { variantId: red, productId: product, available: 0 },
        { variantId: blue, productId: product, available: 2 },
      ].map(payload).sort());
      assert.equal(await prisma.outboxEvent.count({ where: { key: red } }), 0, "no event is keyed by a variant id");
    });

    it("reserves all items or none, naming the short product and its available count", async () => {
      const [a, b, r] = [ids("a"), ids("b"), ids("r")];
      await stock({ [a]: 5, [b]: 1 });
      assert.deepEqual(await reserve(r, [{ variantId: a, quantity: 3 }, { variantId: b, quantity: 2 }]), { kind: "short", variantId: b, available: 1 });
      assert.deepEqual(await reserve(r, [{ variantId: a, quantity: 1 }, { variantId: "nowhere", quantity: 1 }]), { kind: "unknown", variantId: "nowhere" });
      assert.deepEqual(await level(a), { variantId: a, available: 5, reserved: 0 });
      assert.equal(await ledger.reservation(r), null);
    });

    it("tells when the earliest held reservation expires, past or not, and forgets it once it is not held", async () => {
      const [a, first, second] = [ids("a"), ids("first"), ids("second")];
      await stock({ [a]: 5 });
      // Earlier than any other test's hold, so it is the earliest whatever else this database holds.
      const longAgo = later(-10 * 365 * 24 * HOUR);
      await reserve(first, [{ variantId: a, quantity: 1 }], longAgo);
      await reserve(second, [{ variantId: a, quantity: 1 }], new Date(longAgo.getTime() + 1_000));
      assert.equal((await ledger.nextExpiry())?.toISOString(), longAgo.toISOString());
      await ledger.release(first, now);
      assert.equal((await ledger.nextExpiry())?.toISOString(), new Date(longAgo.getTime() + 1_000).toISOString(), "a released one no longer counts");
      await ledger.commit(second, now);
      const next = await ledger.nextExpiry();
      assert.ok(next === null || next.getTime() > longAgo.getTime() + 1_000, "nor a committed one");
    });

    it("answers a repeated reservation id with the existing reservation and changes nothing", async () => {
      const [a, r] = [ids("a"), ids("r")];
      await stock({ [a]: 5 });
      await reserve(r, [{ variantId: a, quantity: 2 }]);
      const again = await reserve(r, [{ variantId: a, quantity: 2 }]);
      assert.equal(again.kind, "existing");
      assert.deepEqual(await level(a), { variantId: a, available: 3, reserved: 2 });
    });

    it("takes an expired or released reservation's items again when its id is reserved again, HELD with the new expiry", async () => {
      const [a, b, r] = [ids("a"), ids("b"), ids("r")];
      await stock({ [a]: 4, [b]: 2 });
      const items = [{ variantId: a, quantity: 3 }, { variantId: b, quantity: 1 }];
      await reserve(r, items, later(-1));
      assert.deepEqual((await ledger.expireDue(now, 100)).expired, [r]);

      const retaken = await reserve(r, items, later(HOUR));
      assert.equal(retaken.kind, "reserved", "the same shape as a fresh reservation, so the mirror counts it the same");
      assert.deepEqual(retaken.kind === "reserved" && retaken.change.changes, [
        { variantId: a, delta: -3, available: 1 },
        { variantId: b, delta: -1, available: 1 },
      ]);
      const stored = await ledger.reservation(r);
      assert.deepEqual([stored?.status, stored?.expiresAt.toISOString(), stored?.items], ["HELD", later(HOUR).toISOString(), items]);
      assert.deepEqual(await level(a), { variantId: a, available: 1, reserved: 3 });
      const announced = await prisma.outboxEvent.findMany({ where: { key: a }, orderBy: { occurredAt: "asc" } });
      assert.deepEqual(
        announced.map((e) => [(e.payload as { available: number }).available, (e.payload as { delta: number }).delta]),
        [[4, 4], [1, -3], [4, 3], [1, -3]],
        "created, held, expired, held again: each with its delta",
      );

      await ledger.release(r, now);
      assert.equal((await reserve(r, items, later(HOUR))).kind, "reserved", "a released one too");
      assert.deepEqual(await level(b), { variantId: b, available: 1, reserved: 1 });
      assert.equal((await ledger.commit(r, now))?.kind, "committed");
      assert.deepEqual(await level(a), { variantId: a, available: 1, reserved: 0 });
    });

    it("refuses to take an expired reservation again when an item is short, changing nothing", async () => {
      const [a, b, r, other] = [ids("a"), ids("b"), ids("r"), ids("other")];
      await stock({ [a]: 3, [b]: 1 });
      const items = [{ variantId: a, quantity: 2 }, { variantId: b, quantity: 1 }];
      await reserve(r, items, later(-1));
      await ledger.expireDue(now, 100);
      await reserve(other, [{ variantId: b, quantity: 1 }]);
      assert.deepEqual(await reserve(r, items, later(HOUR)), { kind: "short", variantId: b, available: 0 });
      const stored = await ledger.reservation(r);
      assert.deepEqual([stored?.status, stored?.expiresAt.toISOString(), stored?.items], ["EXPIRED", later(-1).toISOString(), items]);
      assert.deepEqual(await level(a), { variantId: a, available: 3, reserved: 0 });
      assert.deepEqual(await level(b), { variantId: b, available: 0, reserved: 1 });
    });

    it("refreshes a held reservation's expiry when its id is reserved again, never shortening it or taking more", async () => {
      const [a, r] = [ids("a"), ids("r")];
      await stock({ [a]: 5 });
      await reserve(r, [{ variantId: a, quantity: 2 }], later(1_000));
      const refreshed = await reserve(r, [{ variantId: a, quantity: 2 }], later(HOUR));
      assert.deepEqual(refreshed.kind === "existing" && [refreshed.reservation.status, refreshed.reservation.expiresAt.toISOString()], ["HELD", later(HOUR).toISOString()]);
      // An earlier expiry does not shorten it; the repeat still moves it on by a millisecond, so
      // every reserve of an id leaves an expiry later than any earlier answer's (a caller's
      // conditional release tells its own hold from one a twin reserved since by it).
      await reserve(r, [{ variantId: a, quantity: 2 }], later(60_000));
      assert.equal((await ledger.reservation(r))?.expiresAt.toISOString(), later(HOUR + 1).toISOString());
      assert.deepEqual(await level(a), { variantId: a, available: 3, reserved: 2 });
      assert.deepEqual((await ledger.expireDue(later(2_000), 100)).expired, [], "the refreshed hold is not due");
    });

    it("changes nothing when an id is reserved again for other items, or after it was committed", async () => {
      const [a, expired, sold] = [ids("a"), ids("expired"), ids("sold")];
      await stock({ [a]: 5 });
      await reserve(expired, [{ variantId: a, quantity: 1 }], later(-1));
      await ledger.expireDue(now, 100);
      const other = await reserve(expired, [{ variantId: a, quantity: 2 }], later(HOUR));
      assert.deepEqual(other.kind === "existing" && [other.reservation.status, other.reservation.items], ["EXPIRED", [{ variantId: a, quantity: 1 }]]);
      await reserve(sold, [{ variantId: a, quantity: 2 }]);
      await ledger.commit(sold, now);
      const again = await reserve(sold, [{ variantId: a, quantity: 2 }], later(HOUR));
      assert.equal(again.kind === "existing" && again.reservation.status, "COMMITTED");
      assert.deepEqual(await level(a), { variantId: a, available: 3, reserved: 0 });
    });

    it("takes an expired reservation again once when 20 repeats of it arrive at once", async () => {
      const [a, r] = [ids("a"), ids("r")];
      await stock({ [a]: 10 });
      await reserve(r, [{ variantId: a, quantity: 3 }], later(-1));
      await ledger.expireDue(now, 100);
      const outcomes = await Promise.all(range(20).map(() => reserve(r, [{ variantId: a, quantity: 3 }], later(HOUR))));
      assert.deepEqual(outcomes.map((o) => o.kind).sort(), ["reserved", ...Array(19).fill("existing")].sort());
      assert.deepEqual(await level(a), { variantId: a, available: 7, reserved: 3 });
      assert.equal((await ledger.reservation(r))?.status, "HELD");
    });

    it("answers every one of 8 first calls of one new id arriving at once with its reservation, though the stock holds it only once", async () => {
      const [a, r] = [ids("a"), ids("r")];
      await stock({ [a]: 3 });
      // The stock row is held by another transaction until all 8 have read what they read and
      // wait: on timing alone they would mostly run one after another. (8: the pool has 12.)
      const outcomes = await withDirectConnection(prisma, async (blocker) => {
        await blocker.query("BEGIN");
        await blocker.query(`SELECT 1 FROM "StockLevel" WHERE "variantId" = $1 FOR UPDATE`, [a]);
        const calls = Promise.all(range(8).map(() => reserve(r, [{ variantId: a, quantity: 2 }])));
        await waitFor("all 8 wait on a lock", async () => {
          const [row] = await prisma.$queryRaw<{ waiting: bigint }[]>`
            SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          return Number(row?.waiting) >= 8;
        });
        await blocker.query("COMMIT");
        return calls;
      });
      assert.deepEqual(outcomes.map((o) => o.kind).sort(), ["reserved", ...Array(7).fill("existing")].sort());
      assert.deepEqual(await level(a), { variantId: a, available: 1, reserved: 2 });
    });

    it("never oversells a product to 200 concurrent reservations of 20 units", async () => {
      const a = ids("a");
      await stock({ [a]: 20 });
      const outcomes = await Promise.all(range(200).map((i) => reserve(`${a}-buyer-${i}`, [{ variantId: a, quantity: 1 }])));
      assert.equal(outcomes.filter((o) => o.kind === "reserved").length, 20);
      assert.deepEqual(await level(a), { variantId: a, available: 0, reserved: 20 });
    });

    it("is protected by the database itself against negative stock and empty items", async () => {
      const a = ids("a");
      await stock({ [a]: 1 });
      await assert.rejects(prisma.$executeRaw`UPDATE "StockLevel" SET available = -1 WHERE "variantId" = ${a}`, /StockLevel_available_non_negative/);
      await assert.rejects(prisma.$executeRaw`UPDATE "StockLevel" SET reserved = -1 WHERE "variantId" = ${a}`, /StockLevel_reserved_non_negative/);
      await reserve(ids("r"), [{ variantId: a, quantity: 1 }]);
      await assert.rejects(prisma.$executeRaw`UPDATE "ReservationItem" SET quantity = 0 WHERE "variantId" = ${a}`, /ReservationItem_quantity_positive/);
    });

    it("commits a held reservation once: the units leave reserved and available stays", async () => {
      const [a, r] = [ids("a"), ids("r")];
      await stock({ [a]: 5 });
      await reserve(r, [{ variantId: a, quantity: 2 }]);
      const committed = await ledger.commit(r, now);
      assert.equal(committed?.kind === "committed" && committed.reservation.status, "COMMITTED");
      assert.deepEqual(committed?.kind === "committed" && committed.change.changes, []);
      await ledger.commit(r, now);
      assert.deepEqual(await level(a), { variantId: a, available: 3, reserved: 0 });
      assert.equal(await ledger.commit(ids("nobody"), now), null);
    });

    it("releases a held reservation once, and refuses to release a committed one", async () => {
      const [a, r, sold] = [ids("a"), ids("r"), ids("sold")];
      await stock({ [a]: 5 });
      await reserve(r, [{ variantId: a, quantity: 2 }]);
      assert.equal((await ledger.release(r, now))?.reservation.status, "RELEASED");
      assert.deepEqual((await ledger.release(r, now))?.change.changes, []);
      assert.deepEqual(await level(a), { variantId: a, available: 5, reserved: 0 });
      await reserve(sold, [{ variantId: a, quantity: 1 }]);
      await ledger.commit(sold, now);
      await assert.rejects(ledger.release(sold, now), (error: { extensions?: { code?: string } }) => error.extensions?.code === "ILLEGAL_TRANSITION");
    });

    it("expires only held reservations past their time, returning their units", async () => {
      const [a, due, notDue, paid] = [ids("a"), ids("due"), ids("not-due"), ids("paid")];
      await stock({ [a]: 10 });
      await reserve(due, [{ variantId: a, quantity: 2 }], later(-1));
      await reserve(notDue, [{ variantId: a, quantity: 3 }], later(HOUR));
      await reserve(paid, [{ variantId: a, quantity: 1 }], later(-1));
      await ledger.commit(paid, now);
      const { expired } = await ledger.expireDue(now, 100);
      assert.deepEqual(expired, [due]);
      assert.deepEqual(await level(a), { variantId: a, available: 6, reserved: 3 });
    });

    it("takes an expired reservation's units again when committing it, or changes nothing when they are gone", async () => {
      const [a, r, other] = [ids("a"), ids("r"), ids("other")];
      await stock({ [a]: 4 });
      await reserve(r, [{ variantId: a, quantity: 3 }], later(-1));
      await ledger.expireDue(now, 100);
      await reserve(other, [{ variantId: a, quantity: 2 }]);
      const refused = await ledger.commit(r, now);
      assert.deepEqual(refused?.kind === "short" && [refused.variantId, refused.available, refused.reservation.status], [a, 2, "EXPIRED"]);
      await ledger.release(other, now);
      const committed = await ledger.commit(r, now);
      assert.equal(committed?.kind, "committed");
      assert.deepEqual(await level(a), { variantId: a, available: 1, reserved: 0 });
      // Created, held, expired, the other held and released, taken again by the commit (the
      // test clock gives several the same time, so they are compared as a set).
      const announced = await prisma.outboxEvent.findMany({ where: { key: a } });
      assert.deepEqual(
        announced.map((e) => { const { available, delta } = e.payload as { available: number; delta: number }; return `${available} ${delta}`; }).sort(),
        ["4 4", "1 -3", "4 3", "2 -2", "4 2", "1 -3"].sort(),
      );
    });

    it("takes a released reservation's units again when a late commit arrives, once, or changes nothing when they are gone", async () => {
      // A cancel (or a failed payment) released the hold, then its order's transaction died; the
      // payment's confirmation is redelivered and commits the same id: the units are sold again
      // from what is on sale, never sold without being taken.
      const [a, r, other] = [ids("a"), ids("r"), ids("other")];
      await stock({ [a]: 4 });
      await reserve(r, [{ variantId: a, quantity: 3 }]);
      await ledger.release(r, now);
      await reserve(other, [{ variantId: a, quantity: 2 }]);
      const refused = await ledger.commit(r, now);
      assert.deepEqual(refused?.kind === "short" && [refused.variantId, refused.available], [a, 2]);
      assert.deepEqual(await level(a), { variantId: a, available: 2, reserved: 2 }, "a refused commit changes nothing");
      await ledger.release(other, now);
      assert.equal((await ledger.commit(r, now))?.kind, "committed");
      assert.equal((await ledger.commit(r, now))?.kind, "committed");
      assert.deepEqual(await level(a), { variantId: a, available: 1, reserved: 0 }, "taken once");
    });

    it("skips reservations another transaction holds instead of waiting for them", async () => {
      const [a, held, free] = [ids("a"), ids("held"), ids("free")];
      await stock({ [a]: 10 });
      await reserve(held, [{ variantId: a, quantity: 1 }], later(-2));
      await reserve(free, [{ variantId: a, quantity: 1 }], later(-1));
      const locked = deferred();
      const finish = deferred();
      const holder = prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Reservation" WHERE id = ${held} FOR UPDATE`;
        locked.resolve();
        await finish.promise;
      });
      await locked.promise;
      const { expired } = await ledger.expireDue(now, 100);
      assert.deepEqual(expired, [free]);
      finish.resolve();
      await holder;
      assert.deepEqual((await ledger.expireDue(now, 100)).expired, [held]);
    });

    it("puts sold units back once per return id, however many ask at once, skipping variants no longer stocked", async () => {
      const [a, b, sold] = [ids("a"), ids("b"), ids("sold")];
      await stock({ [a]: 5, [b]: 5 });
      await reserve(sold, [{ variantId: a, quantity: 3 }, { variantId: b, quantity: 1 }]);
      await ledger.commit(sold, now);
      const returnId = `cancel:${sold}`;
      const items = [{ variantId: a, quantity: 3 }, { variantId: b, quantity: 1 }, { variantId: ids("gone"), quantity: 2 }];
      const results = await Promise.all(range(20).map(() => ledger.putBack(returnId, items, now)));
      assert.equal(results.filter((r) => !r.repeated).length, 1, "one of 20 puts the units back");
      assert.deepEqual(results.find((r) => !r.repeated)!.change.changes, [
        { variantId: a, delta: 3, available: 5 },
        { variantId: b, delta: 1, available: 5 },
      ]);
      assert.deepEqual([(await level(a))?.available, (await level(b))?.available], [5, 5]);
      const again = await ledger.putBack(returnId, items, now);
      assert.deepEqual([again.repeated, again.change.changes], [true, []]);
      // Another reason for the same order is its own id: a return after a partial cancel would count.
      assert.equal((await ledger.putBack(`return:${sold}`, [{ variantId: a, quantity: 1 }], now)).repeated, false);
      assert.equal((await level(a))?.available, 6);
    });

    it("restocks known products, refuses amounts that would overflow, and knows no others", async () => {
      const a = ids("a");
      await stock({ [a]: 5 });
      assert.deepEqual((await ledger.restock({ variantId: a, quantity: 10 }, now))?.level, { variantId: a, available: 15, reserved: 0 });
      assert.equal(await ledger.restock({ variantId: ids("unknown"), quantity: 1 }, now), null);
      await prisma.$executeRaw`UPDATE "StockLevel" SET available = 2147483000 WHERE "variantId" = ${a}`;
      await assert.rejects(ledger.restock({ variantId: a, quantity: 1000 }, now), (error: { extensions?: { code?: string } }) => error.extensions?.code === "BAD_USER_INPUT");
    });

    it("restocks once per key: concurrent and later repeats add nothing and name what the key added; an unknown variant records no key", async () => {
      const [a, b] = [ids("a"), ids("b")];
      const key = ids("delivery");
      await stock({ [a]: 5 });
      const results = await Promise.all(range(8).map(() => ledger.restock({ variantId: a, quantity: 3 }, now, key)));
      assert.equal(results.filter((r) => !r?.repeatOf).length, 1, "one call added the units");
      assert.deepEqual(results.find((r) => !r?.repeatOf)!.change.changes, [{ variantId: a, delta: 3, available: 8 }]);
      for (const repeat of results.filter((r) => r?.repeatOf)) assert.deepEqual([repeat!.repeatOf, repeat!.change.changes], [[{ variantId: a, quantity: 3 }], []]);
      assert.deepEqual(await level(a), { variantId: a, available: 8, reserved: 0 });
      const reused = await ledger.restock({ variantId: a, quantity: 4 }, now, key);
      assert.deepEqual([reused?.repeatOf, reused?.level.available], [[{ variantId: a, quantity: 3 }], 8]);
      const first = ids("first-delivery");
      assert.equal(await ledger.restock({ variantId: b, quantity: 2 }, now, first), null);
      await stock({ [b]: 0 });
      const added = await ledger.restock({ variantId: b, quantity: 2 }, now, first);
      assert.deepEqual([added?.repeatOf, added?.level.available], [undefined, 2], "the refused call kept no key");
    });

    it("creates stock only where none exists, telling the mirror before committing", async () => {
      const [a, b] = [ids("a"), ids("b")];
      await stock({ [a]: 5 });
      const seen: unknown[] = [];
      const created = await ledger.createLevels([{ variantId: a, available: 99 }, { variantId: b, available: 7 }], async (epoch, rows) => void seen.push(epoch, rows), now);
      assert.deepEqual(created, [{ variantId: b, available: 7, reserved: 0 }]);
      assert.deepEqual(seen, ["none", created]);
      assert.deepEqual(await level(a), { variantId: a, available: 5, reserved: 0 });
      const c = ids("c");
      await assert.rejects(ledger.createLevels([{ variantId: c, available: 1 }], async () => Promise.reject(new Error("mirror said no")), now), /mirror said no/);
      assert.equal(await level(c), undefined);
    });

    it("holds stock changes back only while a rebuild moves the epoch; during its fill they go on and report the new epoch", async () => {
      const [a, before, held, during] = [ids("a"), ids("before"), ids("held"), ids("during")];
      await stock({ [a]: 10 });
      await reserve(before, [{ variantId: a, quantity: 1 }]);
      const began = deferred();
      const release = deferred();
      let snapshot: number | undefined;
      let duringFill: Awaited<ReturnType<typeof reserve>> | undefined;
      let heldChange: ReturnType<typeof reserve> | undefined;
      const rebuild = ledger.rebuildMirror({
        begin: async () => {
          began.resolve();
          await release.promise;
        },
        fill: async (_epoch, levels) => {
          for await (const page of levels) snapshot ??= page.find((l) => l.variantId === a)?.available;
          // Held back during `begin`, it goes through now, and so does a new one.
          await heldChange;
          duringFill = await reserve(during, [{ variantId: a, quantity: 1 }]);
        },
      });
      await began.promise;
      heldChange = reserve(held, [{ variantId: a, quantity: 1 }]);
      await waitFor("the change waits on the mirror fence", async () => {
        const [row] = await prisma.$queryRaw<{ waiting: bigint }[]>`
          SELECT count(*) AS waiting FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted AND objid = 7340131
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
        return Number(row?.waiting) > 0;
      });
      release.resolve();
      const epoch = await rebuild;
      const result = await heldChange;
      assert.equal(snapshot, 9, "the change before the rebuild is in its snapshot, those after are not");
      assert.equal(result.kind === "reserved" && result.change.epoch, epoch, "the change held back reports the new epoch");
      assert.equal(duringFill?.kind === "reserved" && duringFill.change.epoch, epoch, "a change during the fill goes through and reports the new epoch");
      assert.equal(await ledger.currentEpoch(), epoch);
      assert.equal((await level(a))?.available, 7);
    });

    it("keeps a doubt against the epoch it names until a rebuild replaces that epoch, and takes none against an epoch already replaced", async () => {
      const doubted = await rebuild();
      await ledger.recordDoubt(doubted);
      assert.equal(await ledger.isDoubted(doubted), true);
      const next = await rebuild();
      assert.deepEqual([await ledger.isDoubted(doubted), await ledger.isDoubted(next)], [false, false]);
      await ledger.recordDoubt(doubted);
      assert.equal(await ledger.isDoubted(next), false, "a late doubt of the replaced epoch");
      await ledger.recordDoubt();
      assert.equal(await ledger.isDoubted(next), true, "a doubt naming no epoch is about the current one");
    });

    for (const named of [true, false]) {
      it(`leaves a rebuild's new epoch undoubted when a doubt of the old one${named ? "" : ", naming no epoch,"} waited for the rebuild to move the epoch`, async () => {
        const old = await rebuild();
        const moving = deferred();
        const release = deferred();
        const moved = rebuild(async () => {
          moving.resolve();
          await release.promise;
        });
        await moving.promise;
        const record = named ? ledger.recordDoubt(old) : ledger.recordDoubt();
        try {
          await waitFor("the doubt waits for the rebuild's hold on the epoch", async () => {
            const [row] = await prisma.$queryRaw<{ waiting: bigint }[]>`
              SELECT count(*) AS waiting FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%doubtedEpoch%'`;
            return Number(row?.waiting) > 0;
          });
        } finally {
          release.resolve();
        }
        const next = await moved;
        await record;
        assert.equal(await ledger.isDoubted(next), false, "the rebuild's fill never held the doubted write");
      });
    }

    it("hands the mirror the snapshot by pages, each read once the one before is taken, every level once", async () => {
      const paged = new PrismaStockLedger(prisma, { rebuildPage: 2 });
      const mine = [ids("p"), ids("p"), ids("p"), ids("p"), ids("p")];
      await stock(Object.fromEntries(mine.map((id, i) => [id, i + 1])));
      const pages: number[] = [];
      const seen = new Map<string, number>();
      await paged.rebuildMirror({
        begin: async () => {},
        fill: async (_epoch, levels) => {
          for await (const page of levels) {
            pages.push(page.length);
            for (const { variantId, available } of page) seen.set(variantId, (seen.get(variantId) ?? 0) + available);
          }
        },
      });
      assert.ok(pages.length > 1 && pages.every((size) => size <= 2), `pages of at most 2 levels, got ${pages.join(", ")}`);
      assert.deepEqual(mine.map((id) => seen.get(id)), [1, 2, 3, 4, 5], "each level once, as the ledger has it");
    });

    it("stops reading the levels once the rebuild's signal aborts, and rejects without filling the mirror", async () => {
      await stock({ [ids("a")]: 1 });
      const stop = new AbortController();
      let filled = false;
      await assert.rejects(
        ledger.rebuildMirror({
          signal: stop.signal,
          begin: async () => stop.abort(),
          fill: async () => void (filled = true),
        }),
        { name: "AbortError" },
      );
      assert.equal(filled, false);
      const a = ids("after");
      await stock({ [a]: 2 });
      const result = await reserve(ids("after-stop"), [{ variantId: a, quantity: 1 }]);
      assert.equal(result.kind, "reserved", "no fence or lock was left behind");
    });

    it("keeps the old epoch when the mirror cannot begin a rebuild", async () => {
      const epoch = await ledger.currentEpoch();
      await assert.rejects(
        ledger.rebuildMirror({ begin: () => Promise.reject(new Error("mirror unreachable")), fill: () => Promise.reject(new Error("never filled")) }),
        /mirror unreachable/,
      );
      assert.equal(await ledger.currentEpoch(), epoch);
      const a = ids("a");
      await stock({ [a]: 2 });
      const result = await reserve(ids("after"), [{ variantId: a, quantity: 1 }]);
      assert.equal(result.kind === "reserved" && result.change.epoch, epoch, "no fence or lock was left behind");
    });
  });
}
