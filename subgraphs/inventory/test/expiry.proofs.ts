import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startReservationSweeper } from "../src/domain/reservation-sweeper.js";
import type { RigFactory } from "./support/inventory-rig.js";
import { assertMirrorAgrees, range, rejectsWithCode, reservationsByStatus, withStockedRig } from "./support/proof-helpers.js";

const TTL = 60_000;
const P = "prod_p";

/** Proof 4 of the inventory issue: expired holds return their stock; late payments never oversell. */
export function defineExpiryProofs(engine: string, createRig: RigFactory): void {
  describe(`Reservations expire and late payments never oversell [${engine}]`, { timeout: 60_000 }, () => {
    it("returns an expired reservation's units to the ledger and the mirror, and announces it", () =>
      withStockedRig(createRig, { [P]: 5 }, { ttlMs: TTL }, async (rig) => {
        await rig.service.reserve("order-1", [{ variantId: P, quantity: 3 }]);
        assert.equal(await rig.service.expireDue(100), 0, "nothing is due before the TTL");
        rig.clock.advance(TTL + 1);
        assert.equal(await rig.service.expireDue(100), 1);
        assert.equal((await rig.service.reservation("order-1"))?.status, "EXPIRED");
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 5, reserved: 0 });
        const events = await rig.prisma.outboxEvent.findMany({ where: { key: P }, orderBy: { occurredAt: "asc" } });
        assert.deepEqual(events.map((e) => (e.payload as { available: number }).available), [5, 2, 5]);
        // Releasing it now changes nothing: the units went back once.
        assert.equal((await rig.service.release("order-1")).status, "EXPIRED");
        assert.deepEqual((await rig.ledger.levels([P])).get(P), { variantId: P, available: 5, reserved: 0 });
      }));

    it("re-reserves and commits a late payment when the units are still there", () =>
      withStockedRig(createRig, { [P]: 5 }, { ttlMs: TTL }, async (rig) => {
        await rig.service.reserve("order-1", [{ variantId: P, quantity: 3 }]);
        rig.clock.advance(TTL + 1);
        await rig.service.expireDue(100);
        const committed = await rig.service.commit("order-1");
        assert.equal(committed.status, "COMMITTED");
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 2, reserved: 0 });
        // Paying twice sells nothing more.
        assert.equal((await rig.service.commit("order-1")).status, "COMMITTED");
        assert.deepEqual((await rig.ledger.levels([P])).get(P), { variantId: P, available: 2, reserved: 0 });
      }));

    it("refuses a late payment with RESERVATION_EXPIRED when its units were sold meanwhile, changing nothing", () =>
      withStockedRig(createRig, { [P]: 5 }, { ttlMs: TTL }, async (rig) => {
        await rig.service.reserve("late", [{ variantId: P, quantity: 5 }]);
        rig.clock.advance(TTL + 1);
        await rig.service.expireDue(100);
        await rig.service.reserve("prompt", [{ variantId: P, quantity: 5 }]);
        const refused = await rejectsWithCode(rig.service.commit("late"), "RESERVATION_EXPIRED");
        assert.deepEqual([refused.variantId, refused.available], [P, 0]);
        assert.equal((await rig.service.reservation("late"))?.status, "EXPIRED");
        assert.equal((await rig.service.commit("prompt")).status, "COMMITTED");
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 0, reserved: 0 });
      }));

    it("a conditional release frees only a hold its caller took and nobody reserved since, or one idle that long; another stays HELD", () =>
      withStockedRig(createRig, { [P]: 10 }, { ttlMs: TTL }, async (rig) => {
        const items = [{ variantId: P, quantity: 2 }];
        const first = await rig.service.reserve("twice", items);
        rig.clock.advance(1_000);
        const second = await rig.service.reserve("twice", items);
        assert.deepEqual([first.taken, second.taken], [true, false], "the second call found the units held");
        // The first caller, refused, must not free the hold the second one is placing on.
        assert.equal((await rig.service.release("twice", { ifExpiresAt: first.expiresAt, ifIdleForMs: 30_000 })).status, "HELD");
        assert.equal((await rig.service.release("twice", { ifIdleForMs: 30_000 })).status, "HELD");
        rig.clock.advance(30_000);
        assert.equal((await rig.service.release("twice", { ifIdleForMs: 30_000 })).status, "RELEASED", "idle long enough: nobody is placing on it");
        const own = await rig.service.reserve("own", items);
        assert.equal((await rig.service.release("own", { ifExpiresAt: own.expiresAt, ifIdleForMs: 30_000 })).status, "RELEASED", "its caller took it and nobody reserved it since");
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 10, reserved: 0 });
      }));

    it("a hold reserved a moment ago is not idle to a process whose time to live is longer (a rollout raising RESERVATION_TTL_MS)", () =>
      withStockedRig(createRig, { [P]: 10 }, { ttlMs: TTL }, async (rig) => {
        const items = [{ variantId: P, quantity: 2 }];
        // Taken by a process of the old TTL; a replica already on four times it is asked to free
        // it "if idle for 30 s" a second later. Its expiry is 3 TTLs short of what that replica
        // would give a hold now, which no reserve's age explains.
        const taken = await rig.service.reserve("rollout", items);
        const upgraded = await rig.anotherProcess({ ttlMs: 4 * TTL });
        rig.clock.advance(1_000);
        assert.equal((await upgraded.release("rollout", { ifIdleForMs: 30_000 })).status, "HELD", "reserved 1 s ago: a twin may be placing on it");
        assert.equal((await upgraded.release("rollout", { ifExpiresAt: new Date(taken.expiresAt.getTime() - 1), ifIdleForMs: 30_000 })).status, "HELD");
        // And the other way round: a process of a shorter TTL still sees a long-idle hold as idle.
        const shortened = await rig.anotherProcess({ ttlMs: TTL / 4 });
        rig.clock.advance(30_000);
        assert.equal((await shortened.release("rollout", { ifIdleForMs: 30_000 })).status, "RELEASED", "untouched for 31 s");
        assert.deepEqual((await assertMirrorAgrees(rig, [P])).get(P), { variantId: P, available: 10, reserved: 0 });
      }));

    it("a twin's reserve in the same millisecond as its taker's, or from a clock a little behind, keeps the taker's conditional release from freeing it", () =>
      withStockedRig(createRig, { [P]: 10 }, { ttlMs: TTL }, async (rig) => {
        const items = [{ variantId: P, quantity: 2 }];
        // Two tabs' reserves race: the twin reads the clock no later than the taker (the same
        // millisecond, or another replica a few behind) but reaches the ledger second.
        for (const [id, twinBehindMs] of [["same-ms", 0], ["behind", 5]] as const) {
          const first = await rig.service.reserve(id, items);
          rig.clock.advance(-twinBehindMs);
          const second = await rig.service.reserve(id, items);
          rig.clock.advance(twinBehindMs);
          assert.deepEqual([first.taken, second.taken], [true, false]);
          const afterRefusal = await rig.service.release(id, { ifExpiresAt: first.expiresAt, ifIdleForMs: 30_000 });
          assert.equal(afterRefusal.status, "HELD", `${id}: the twin is placing its order on this hold`);
        }
        assert.deepEqual((await rig.ledger.levels([P])).get(P), { variantId: P, available: 6, reserved: 4 });
      }));

    it("holds an expired reservation again when its id is reserved again, counted once in the mirror", () =>
      withStockedRig(createRig, { [P]: 5 }, { ttlMs: TTL }, async (rig) => {
        await rig.service.reserve("order-1", [{ variantId: P, quantity: 3 }]);
        rig.clock.advance(TTL + 1);
        await rig.service.expireDue(100);
        const again = await rig.service.reserve("order-1", [{ variantId: P, quantity: 3 }]);
        assert.deepEqual([again.status, again.expiresAt.getTime()], ["HELD", rig.clock.now().getTime() + TTL]);
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 2, reserved: 3 });
        // It is an ordinary hold again: it expires, and a sale after it sells it once.
        assert.equal(await rig.service.expireDue(100), 0);
        assert.equal((await rig.service.commit("order-1")).status, "COMMITTED");
        assert.deepEqual((await assertMirrorAgrees(rig, [P])).get(P), { variantId: P, available: 2, reserved: 0 });
      }));

    it("refuses to hold an expired reservation again with OUT_OF_STOCK when its units were sold, though the mirror answers first", () =>
      withStockedRig(createRig, { [P]: 5 }, { ttlMs: TTL }, async (rig) => {
        await rig.service.reserve("late", [{ variantId: P, quantity: 5 }]);
        rig.clock.advance(TTL + 1);
        await rig.service.expireDue(100);
        await rig.service.reserve("prompt", [{ variantId: P, quantity: 4 }]);
        const refused = await rejectsWithCode(rig.service.reserve("late", [{ variantId: P, quantity: 5 }]), "OUT_OF_STOCK");
        assert.deepEqual([refused.variantId, refused.available], [P, 1]);
        assert.equal((await rig.service.reservation("late"))?.status, "EXPIRED");
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 1, reserved: 4 });
      }));

    it("gives a live hold a fresh expiry when its id is reserved again, also when the mirror is sold out", () =>
      withStockedRig(createRig, { [P]: 2 }, { ttlMs: TTL }, async (rig) => {
        await rig.service.reserve("order-1", [{ variantId: P, quantity: 2 }]);
        rig.clock.advance(TTL - 1);
        const refreshed = await rig.service.reserve("order-1", [{ variantId: P, quantity: 2 }]);
        assert.deepEqual([refreshed.status, refreshed.expiresAt.getTime()], ["HELD", rig.clock.now().getTime() + TTL]);
        rig.clock.advance(2);
        assert.equal(await rig.service.expireDue(100), 0, "not due at its first expiry any more");
        const levels = await assertMirrorAgrees(rig, [P]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 0, reserved: 2 });
      }));

    it("races 20 late payments against 20 new buyers for 20 units without overselling", () =>
      withStockedRig(createRig, { [P]: 20 }, { ttlMs: TTL }, async (rig) => {
        for (const i of range(20)) await rig.service.reserve(`late-${i}`, [{ variantId: P, quantity: 1 }]);
        rig.clock.advance(TTL + 1);
        assert.equal(await rig.service.expireDue(100), 20);
        const attempts = await Promise.allSettled([
          ...range(20).map((i) => rig.service.commit(`late-${i}`)),
          ...range(20).map((i) => rig.service.reserve(`new-${i}`, [{ variantId: P, quantity: 1 }])),
        ]);
        const won = attempts.filter((a) => a.status === "fulfilled").length;
        assert.equal(won, 20);
        const codes = new Set(attempts.flatMap((a) => (a.status === "rejected" ? [(a.reason as { extensions: { code: string } }).extensions.code] : [])));
        assert.ok([...codes].every((code) => code === "RESERVATION_EXPIRED" || code === "OUT_OF_STOCK"), [...codes].join());
        const levels = await assertMirrorAgrees(rig, [P]);
        const statuses = await reservationsByStatus(rig);
        assert.equal(levels.get(P)!.available, 0);
        assert.equal(levels.get(P)!.reserved, statuses.HELD ?? 0);
        assert.equal((statuses.HELD ?? 0) + (statuses.COMMITTED ?? 0), 20);
      }));

    it("expires each reservation exactly once with two processes sweeping at once, and after a restart", () =>
      withStockedRig(createRig, { [P]: 100, prod_q: 100 }, { ttlMs: TTL }, async (rig) => {
        for (const i of range(60)) await rig.service.reserve(`order-${i}`, [{ variantId: P, quantity: 1 }, { variantId: "prod_q", quantity: 1 }]);
        rig.clock.advance(TTL + 1);
        // A second process, as a restarted or scaled-out replica sees it: only the database.
        const other = await rig.anotherProcess();
        const expired = await Promise.all([rig.service.expireDue(7), other.expireDue(7), rig.service.expireDue(7), other.expireDue(7)]);
        let total = expired.reduce((sum, n) => sum + n, 0);
        while (total < 60) total += (await other.expireDue(7)) + (await rig.service.expireDue(7));
        assert.equal(total, 60);
        assert.deepEqual(await reservationsByStatus(rig), { EXPIRED: 60 });
        const levels = await assertMirrorAgrees(rig, [P, "prod_q"]);
        assert.deepEqual(levels.get(P), { variantId: P, available: 100, reserved: 0 });
        assert.deepEqual(levels.get("prod_q"), { variantId: "prod_q", available: 100, reserved: 0 });
      }));

    it("expires due reservations on its own schedule", () =>
      withStockedRig(createRig, { [P]: 9 }, { ttlMs: TTL }, async (rig) => {
        const sweeper = startReservationSweeper({ expireDue: rig.service.expireDue, anyDue: rig.service.anyDue, intervalMs: 20, batchSize: 2, logger: createLogger("silent") });
        try {
          for (const i of range(5)) await rig.service.reserve(`order-${i}`, [{ variantId: P, quantity: 1 }]);
          rig.clock.advance(TTL + 1);
          await waitFor("the sweeper expired all five", async () => (await reservationsByStatus(rig)).EXPIRED === 5);
          const levels = await assertMirrorAgrees(rig, [P]);
          assert.deepEqual(levels.get(P), { variantId: P, available: 9, reserved: 0 });
        } finally {
          await sweeper.stop();
        }
      }));
  });

  // Its own suite: every proof here builds a rig, and the expiry suite's time is spent already.
  describe(`Checkout tries counted on a hold [${engine}]`, { timeout: 60_000 }, () => {
    it("tries leaving a hold count themselves out: the last of them out frees it at once, a reserve since counts one in again, and a sold hold counts nothing", () =>
      withStockedRig(createRig, { [P]: 10 }, { ttlMs: TTL }, async (rig) => {
        const items = [{ variantId: P, quantity: 2 }];
        const leave = (id: string) => rig.service.release(id, { ifIdleForMs: 30_000, leaving: true });
        await rig.service.reserve("tabs", items);
        await rig.service.reserve("tabs", items);
        assert.equal((await leave("tabs")).status, "HELD", "the other tab may be placing its order on it");
        await rig.service.reserve("tabs", items); // a retry of the key, since
        assert.equal((await leave("tabs")).status, "HELD", "the retry may be placing");
        assert.equal((await leave("tabs")).status, "RELEASED", "the last one out, seconds before any idle window");
        assert.deepEqual((await assertMirrorAgrees(rig, [P])).get(P), { variantId: P, available: 10, reserved: 0 });
        // Taken again once released: the count goes on, so a try of the released hold leaving late frees nothing.
        await rig.service.reserve("again", items);
        await rig.service.release("again");
        await rig.service.reserve("again", items);
        assert.equal((await leave("again")).status, "HELD");
        assert.equal((await leave("again")).status, "RELEASED");
        // A hold placed on (its try never leaves) and one from before the count stay.
        await rig.service.reserve("placed", items);
        await rig.service.reserve("placed", items);
        assert.equal((await leave("placed")).status, "HELD", "the other try placed its order on it");
        assert.equal((await rig.service.commit("placed")).status, "COMMITTED");
        await rig.service.reserve("old", items);
        await rig.prisma.$executeRaw`UPDATE "Reservation" SET "liveTries" = NULL WHERE id = 'old'`;
        assert.equal((await leave("old")).status, "HELD", "its tries were never counted");
      }));
  });
}
