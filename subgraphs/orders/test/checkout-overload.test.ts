import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAdmissionGate } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { createSoldOutMemo } from "../src/domain/sold-out-memo.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";

const extensionsOf = (error: unknown) => (error as { extensions?: Record<string, unknown> }).extensions ?? {};

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Past its capacity the orders process refuses checkouts that waited too long for a place,
 * having done nothing: no hold, no order, no event, the cart kept; the same key then goes
 * through once there is room. Refusals that cost nothing (a variant remembered sold out) are
 * never queued behind the work.
 */
function defineOverloadSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("checkout past its capacity", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    const gate = createAdmissionGate({ name: "checkouts-test", maxInFlight: 1, maxWaitMs: 50 });
    before(async () => {
      h = await startCheckoutHarness(engine, { flash: 1, plenty: 100 }, { soldOut: createSoldOutMemo({ ttlMs: 60_000 }), admission: gate });
    });
    after(() => h.close());

    /** Starts a checkout that holds the gate's one place inside its inventory call until let go. */
    async function holdThePlace(userId: string, key: string) {
      const inside = deferred();
      const letGo = deferred();
      h.reservations.duringNextReserve(async () => {
        inside.resolve();
        await letGo.promise;
      });
      await h.addToCart(userId, "plenty", 1);
      const order = h.checkout.checkout(userId, key);
      await inside.promise;
      return { order, letGo: letGo.resolve };
    }

    it("refuses a checkout that waited its time for a place with OVERLOADED, having written nothing; the same key goes through later", async () => {
      const busy = await holdThePlace("busy", "k-busy");
      await h.addToCart("late", "plenty", 2);
      const [reservesBefore, eventsBefore] = [h.reservations.calls.reserve, (await h.outbox()).length];
      let refusal: unknown;
      try {
        refusal = await h.checkout.checkout("late", "k-late").then(() => assert.fail("let in"), (error: unknown) => error);
      } finally {
        busy.letGo();
      }
      assert.deepEqual(extensionsOf(refusal), { code: "SERVICE_UNAVAILABLE", reason: "OVERLOADED", retryAfterSeconds: 1 });
      assert.equal(h.reservations.calls.reserve, reservesBefore, "no hold was asked for");
      assert.equal((await busy.order).status, "PENDING");
      assert.equal(await h.prisma.order.count({ where: { userId: "late" } }), 0);
      assert.equal((await h.outbox()).length, eventsBefore + 2, "only the busy checkout's two events");
      assert.equal((await h.cartOf("late")).lines.length, 1, "the cart is kept");
      assert.equal(h.reservations.available("plenty"), 99);

      const retried = await h.checkout.checkout("late", "k-late");
      assert.equal(retried.status, "PENDING");
      assert.equal(h.reservations.available("plenty"), 97);
      assert.deepEqual(gate.status().inFlight, 0);
    });

    it("answers a second tab, refused OVERLOADED while its twin with the same key held the place, with the twin's order when retried", async () => {
      const first = await holdThePlace("two-tabs", "k-tabs");
      let refusal: unknown;
      try {
        refusal = await h.checkout.checkout("two-tabs", "k-tabs").then(() => assert.fail("let in"), (error: unknown) => error);
      } finally {
        first.letGo();
      }
      assert.equal(extensionsOf(refusal).reason, "OVERLOADED");
      const placed = await first.order;
      const reservesBefore = h.reservations.calls.reserve;
      assert.equal((await h.checkout.checkout("two-tabs", "k-tabs")).id, placed.id);
      assert.equal(h.reservations.calls.reserve, reservesBefore, "answered from the key: no second hold");
      assert.equal(await h.prisma.order.count({ where: { userId: "two-tabs" } }), 1);
    });

    it("refuses a flash sale's losers OUT_OF_STOCK at once while every place is taken: they never queue for one", async () => {
      await h.addToCart("winner", "flash", 1);
      // Paid: the last unit is sold, not held (held units may come back, and are not remembered sold out).
      await h.reservations.port.commit((await h.checkout.checkout("winner", "k-winner")).id);
      await h.addToCart("first-loser", "flash", 1);
      await assert.rejects(h.checkout.checkout("first-loser", "k-first-loser"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
      const busy = await holdThePlace("busy-2", "k-busy-2");
      try {
        const losers = ["l1", "l2", "l3", "l4", "l5", "l6"];
        for (const loser of losers) await h.addToCart(loser, "flash", 1);
        const refusals = await Promise.allSettled(losers.map((loser) => h.checkout.checkout(loser, `k-${loser}`)));
        // Queued for the place the busy checkout holds until after they are answered, they would be OVERLOADED.
        assert.deepEqual(refusals.map((r) => r.status === "rejected" && extensionsOf(r.reason).code), losers.map(() => "OUT_OF_STOCK"));
      } finally {
        busy.letGo();
      }
      await busy.order;
    });

    it("gives the place back when the checkout fails: a refused checkout does not keep it", async () => {
      const refusedBefore = gate.status().refused;
      await h.addToCart("short", "plenty", 500);
      await assert.rejects(h.checkout.checkout("short", "k-short"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
      await assert.rejects(h.checkout.checkout("short", "k-short-2"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
      assert.deepEqual(gate.status(), { inFlight: 0, waiting: 0, refused: refusedBefore });
    });
  });
}

defineOverloadSuite("embedded");
describeWithRealEngine({ suite: "checkout past its capacity", engine: "postgresql", variable: "DATABASE_URL" }, () => defineOverloadSuite("real"));
