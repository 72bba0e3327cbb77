import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { queriesSentDuring } from "../../../test/support/sent-queries.js";
import { createSoldOutMemo } from "../src/domain/sold-out-memo.js";
import { orderIdFor } from "../src/domain/checkout.service.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { checkoutRequest } from "./support/checkout-defaults.js";

const extensionsOf = (error: unknown) => (error as { extensions?: Record<string, unknown> }).extensions ?? {};

/**
 * A flash sale's losers are refused before the work: once the inventory answered a variant
 * sold out for good (nothing left, nothing held), the next checkouts of it are answered OUT_OF_STOCK without a catalog lookup,
 * pricing or an inventory call, for a moment only, and nothing the inventory would refuse gets through.
 */
function defineSoldOutSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("checkout of a sold-out variant", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let h: CheckoutHarness;
    let now = 1_000_000;
    before(async () => {
      h = await startCheckoutHarness(engine, { flash: 1, scarce: 2, scarce2: 1, plenty: 100 }, { soldOut: createSoldOutMemo({ ttlMs: 1_000, clock: () => now }) });
    });
    after(() => h.close());
    /** The order's payment succeeded: its units are sold, no longer held. */
    const paid = async <O extends { id: string }>(order: O): Promise<O> => (await h.reservations.port.commit(order.id), order);

    it("refuses the losers after the first refusal without calling the inventory, with the inventory's own answer", async () => {
      await h.addToCart("winner", "flash", 1);
      await paid(await h.checkout.checkout("winner", "k-win"));
      await h.addToCart("first-loser", "flash", 1);
      const reservesBefore = h.reservations.calls.reserve;
      const fromInventory = await h.checkout.checkout("first-loser", "k-1").then(() => assert.fail("sold out"), (error: unknown) => error);
      assert.equal(h.reservations.calls.reserve, reservesBefore + 1, "the first loser asks the inventory");

      for (const loser of ["l2", "l3", "l4", "l5"]) {
        await h.addToCart(loser, "plenty", 2);
        await h.addToCart(loser, "flash", 1);
      }
      const catalogCallsBefore = h.catalogCalls.count;
      const refusals = await Promise.all(["l2", "l3", "l4", "l5"].map((loser) => h.checkout.checkout(loser, `k-${loser}`).then(() => assert.fail("sold out"), (error: unknown) => error)));
      assert.equal(h.reservations.calls.reserve, reservesBefore + 1, "no other loser reaches the inventory");
      assert.equal(h.catalogCalls.count, catalogCallsBefore, "nor the catalog: they are refused on the stored cart");
      for (const refusal of refusals) {
        assert.deepEqual(extensionsOf(refusal), extensionsOf(fromInventory), "the same code and details as the inventory's refusal");
        assert.equal((refusal as Error).message, (fromInventory as Error).message);
      }
      assert.equal(extensionsOf(fromInventory).code, "OUT_OF_STOCK");
      assert.equal(h.reservations.available("plenty"), 100, "no hold taken for the other lines");
      assert.equal(await h.prisma.order.count({ where: { userId: { in: ["first-loser", "l2", "l3", "l4", "l5"] } } }), 0);
      assert.equal((await h.cartOf("l2")).lines.length, 2, "the cart is kept");
    });

    it("refuses a loser with one round trip to PostgreSQL: the cart and the key's order read together", async () => {
      for (const loser of ["trip-1", "trip-2"]) await h.addToCart(loser, "flash", 1);
      const sent = await queriesSentDuring(async () => {
        for (const loser of ["trip-1", "trip-2"]) {
          await assert.rejects(h.checkout.checkout(loser, `k-${loser}`), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
        }
      });
      assert.equal(sent, 2, "one round trip a refusal (it was two: the cart, then the key)");
      assert.equal((await h.cartOf("trip-1")).lines.length, 1, "the cart is kept");
    });

    it("asks the inventory again once the moment has passed: units that came back are sold", async () => {
      await h.reservations.returns.putBack("return:winner", [{ variantId: "flash", quantity: 1 }]); // the winner sent it back
      await h.addToCart("late", "flash", 1);
      await assert.rejects(h.checkout.checkout("late", "k-late-1"), (error) => extensionsOf(error).code === "OUT_OF_STOCK", "still remembered");
      now += 1_001;
      const order = await h.checkout.checkout("late", "k-late-2");
      assert.equal(order.status, "PENDING");
      await paid(order);
      assert.equal(h.reservations.available("flash"), 0);
    });

    it("answers a key that already names an order with that order, even while its variant is remembered sold out", async () => {
      await h.addToCart("retry", "scarce", 1);
      const placed = await paid(await h.checkout.checkout("retry", "k-retry"));
      await h.addToCart("other", "scarce", 1);
      await paid(await h.checkout.checkout("other", "k-other"));
      // The memo learns "scarce" is gone from a third customer's refusal.
      await h.addToCart("third", "scarce", 1);
      await assert.rejects(h.checkout.checkout("third", "k-third"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
      const reservesBefore = h.reservations.calls.reserve;
      // The first customer puts the same line back and retries the used key: its order stands.
      await h.addToCart("retry", "scarce", 1);
      assert.equal((await h.checkout.checkout("retry", "k-retry")).id, placed.id);
      assert.equal(h.reservations.calls.reserve, reservesBefore, "answered from the key, not the inventory");
    });

    it("tells a loser with a bad address about the address first, asking neither inventory nor catalog, and leaves no rejection unhandled", async () => {
      now += 10_000; // a fresh moment: the inventory is asked first, then the memo refuses
      await h.addToCart("lost-address-1", "flash", 1);
      await assert.rejects(h.checkout.checkout("lost-address-1", "k-la-1"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
      const [reservesBefore, catalogCallsBefore] = [h.reservations.calls.reserve, h.catalogCalls.count];
      const unhandled: unknown[] = [];
      const collect = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", collect);
      try {
        await h.addToCart("lost-address-2", "flash", 1);
        const unknownSaved = { ...checkoutRequest("k-la-2"), shippingAddress: undefined, shippingAddressId: "adr_nowhere" };
        await assert.rejects(h.checkout.checkout("lost-address-2", unknownSaved), (error) => extensionsOf(error).code === "NOT_FOUND");
        const withNul = checkoutRequest("k-la-3", { shippingAddress: { ...checkoutRequest("x").shippingAddress!, line1: "1 Main St\u0000" } });
        await assert.rejects(h.checkout.checkout("lost-address-2", withNul), (error) => extensionsOf(error).code === "BAD_USER_INPUT");
        // Unhandled rejections are reported once the microtask queue drains after a macrotask.
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(unhandled, []);
      } finally {
        process.off("unhandledRejection", collect);
      }
      assert.deepEqual([h.reservations.calls.reserve, h.catalogCalls.count], [reservesBefore, catalogCallsBefore]);
      // A good address is told the variant is sold out.
      await assert.rejects(h.checkout.checkout("lost-address-2", "k-la-4"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");
    });

    it("answers two tabs at once alike while a variant is remembered sold out: the same key or another, refused with nothing written; a key naming an order, that order in both", async () => {
      await h.addToCart("tabs", "scarce", 1);
      const refusals = await Promise.allSettled([h.checkout.checkout("tabs", "k-tab"), h.checkout.checkout("tabs", "k-tab"), h.checkout.checkout("tabs", "k-tab-2")]);
      assert.deepEqual(refusals.map((r) => r.status === "rejected" && extensionsOf(r.reason).code), ["OUT_OF_STOCK", "OUT_OF_STOCK", "OUT_OF_STOCK"]);
      assert.equal(await h.prisma.order.count({ where: { userId: "tabs" } }), 0);
      assert.equal((await h.cartOf("tabs")).lines.length, 1, "the cart is kept");
      const placed = await h.prisma.order.findFirstOrThrow({ where: { userId: "retry" } });
      const replays = await Promise.all([h.checkout.checkout("retry", "k-retry"), h.checkout.checkout("retry", "k-retry")]);
      assert.deepEqual(replays.map((order) => order.id), [placed.id, placed.id]);
    });

    it("does not remember a variant whose units are held by a checkout awaiting its payment: they may come back", async () => {
      now += 10_000;
      await h.addToCart("holder", "scarce2", 1);
      const holder = await h.checkout.checkout("holder", "k-holder");
      await h.addToCart("hopeful", "scarce2", 1);
      await assert.rejects(h.checkout.checkout("hopeful", "k-hopeful-1"), (error) => extensionsOf(error).code === "OUT_OF_STOCK" && !("reserved" in extensionsOf(error)));
      await h.reservations.port.release(holder.id); // the holder's payment failed
      assert.equal((await h.checkout.checkout("hopeful", "k-hopeful-2")).status, "PENDING", "the unit that came back is sold at once");
    });

    it("remembers only a variant with nothing left: a customer asking for more than is left does not stop one asking for less", async () => {
      await h.addToCart("greedy", "plenty", 500);
      await assert.rejects(h.checkout.checkout("greedy", "k-greedy"), (error) => extensionsOf(error).code === "OUT_OF_STOCK" && (extensionsOf(error).available as number) > 0);
      await h.addToCart("modest", "plenty", 1);
      const reservesBefore = h.reservations.calls.reserve;
      assert.equal((await h.checkout.checkout("modest", "k-modest")).status, "PENDING");
      assert.equal(h.reservations.calls.reserve, reservesBefore + 1);
    });
  });
}

/**
 * Checkouts that are doomed (a second tab of a cart another tab is buying, a cart edited while
 * its checkout runs) hold units for a moment before they give them back. A customer refused
 * in that moment was told the truth then; the memo must not go on refusing everyone after the
 * units came back, or they stay unsold while the customers who wanted them were sent away.
 */
function defineUndersellSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("a flash sale with doomed checkouts holding units for a moment", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    const UNITS = 3;
    let h: CheckoutHarness;
    let openPlacing!: () => void;
    const placing = new Promise<void>((resolve) => (openPlacing = resolve));
    const editedCarts = new Set<string>();
    before(async () => {
      h = await startCheckoutHarness(
        engine,
        { sale: UNITS, other: 100 },
        {
          // The memo's moment never ends in this test: whatever it remembers, it keeps.
          soldOut: createSoldOutMemo({ ttlMs: 1_000, clock: () => 0 }),
          beforePlace: async (orderId) => {
            await placing;
            // The customer edits the cart while the checkout runs: its order cannot be placed.
            if (orderId === orderIdFor("editor", "k-editor")) {
              editedCarts.add(orderId);
              await h.addToCart("editor", "sale", 1);
            }
          },
        },
      );
    });
    after(() => h.close());

    it(`sells exactly ${UNITS} units to more than ${UNITS} customers, however many were refused while doomed checkouts held them`, async () => {
      await h.addToCart("two-tabs", "sale", 1);
      await h.addToCart("editor", "sale", 1);
      // Two tabs of one cart and the edited cart hold every unit, and wait to place their orders.
      const doomedAndWinner = Promise.allSettled([h.checkout.checkout("two-tabs", "k-tab-1"), h.checkout.checkout("two-tabs", "k-tab-2"), h.checkout.checkout("editor", "k-editor")]);
      while (h.reservations.available("sale") > 0) await new Promise((resolve) => setTimeout(resolve, 5));

      // A customer arriving now is refused: every unit is held.
      await h.addToCart("early", "sale", 1);
      await assert.rejects(h.checkout.checkout("early", "k-early"), (error) => extensionsOf(error).code === "OUT_OF_STOCK");

      // One tab buys, the other tab and the edited cart give their units back.
      openPlacing();
      const outcomes = await doomedAndWinner;
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ["fulfilled", "rejected", "rejected"]);
      assert.equal(h.reservations.available("sale"), UNITS - 1, "two units are back on sale");
      assert.ok(editedCarts.size === 1);

      // Customers arriving next buy them, all at once.
      const later = ["later-1", "later-2", "later-3", "later-4"];
      for (const customer of later) await h.addToCart(customer, "sale", 1);
      const answers = await Promise.allSettled(later.map((customer) => h.checkout.checkout(customer, `k-${customer}`)));
      assert.equal(answers.filter((a) => a.status === "fulfilled").length, UNITS - 1, "as many of them as units came back");
      for (const refusal of answers.filter((a) => a.status === "rejected")) {
        assert.equal(extensionsOf(refusal.reason).code, "OUT_OF_STOCK");
        assert.equal(extensionsOf(refusal.reason).reserved, undefined, "how much checkouts hold is not the customer's to know");
      }

      const sold = await h.prisma.orderItem.aggregate({ _sum: { quantity: true }, where: { variantId: "sale" } });
      assert.equal(sold._sum.quantity, UNITS, "every unit sold");
      assert.equal(h.reservations.available("sale"), 0);
    });
  });
}

defineUndersellSuite("embedded");
describeWithRealEngine({ suite: "a flash sale with doomed checkouts holding units for a moment", engine: "postgresql", variable: "DATABASE_URL" }, () => defineUndersellSuite("real"));

defineSoldOutSuite("embedded");
describeWithRealEngine({ suite: "checkout of a sold-out variant", engine: "postgresql", variable: "DATABASE_URL" }, () => defineSoldOutSuite("real"));
