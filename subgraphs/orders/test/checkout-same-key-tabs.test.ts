import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { newEvent, PaymentEventTypes } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import type { DatabaseEngine } from "../../../test/support/test-database.js";
import { HOLD_FOLLOW_UP_MARGIN_MS, LIVE_ATTEMPT_MAX_MS, orderIdFor } from "../src/domain/checkout.service.js";
import { startCheckoutHarness, type CheckoutHarness } from "./support/checkout-harness.js";
import { TEST_ADDRESS, TEST_SHIPPING_METHOD_ID } from "./support/checkout-defaults.js";
import type { CheckoutRequest } from "../src/domain/checkout-request.js";

const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

/**
 * One idempotency key sent from two tabs at once (a key kept per checkout page, a double
 * submit): both name one order and one stock hold. Tab A holds the stock and is placing its
 * order when tab B is refused; B's refusal must leave the hold A's order is being placed on,
 * or the order is PENDING with its units back on sale.
 */
function defineSameKeyTabsSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("one checkout key in two tabs at once", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let h: CheckoutHarness;
    // Tab A's checkout stops here, its hold taken, until the test lets it place its order.
    let placing: { orderId: string; reached: () => void; goOn: Promise<void> } | undefined;
    // The next statement placing this order fails as a dropped connection does.
    let failPlaceOf: string | undefined;
    // Second looks at holds left to a twin, run by the test when it has let the time pass.
    const looks = new Map<string, { afterMs: number; look: () => Promise<void> }>();
    const holdFollowUps = { schedule: (orderId: string, afterMs: number, look: () => Promise<void>) => void (looks.has(orderId) || looks.set(orderId, { afterMs, look })), stop: () => looks.clear() };

    before(async () => {
      h = await startCheckoutHarness(engine, { p1: 100, p2: 100, p3: 100 }, {
        beforePlace: async (orderId) => {
          if (placing?.orderId === orderId) {
            const stop = placing;
            placing = undefined;
            stop.reached();
            await stop.goOn;
          }
          if (failPlaceOf === orderId) {
            failPlaceOf = undefined;
            throw new Error("Connection terminated unexpectedly");
          }
        },
        holdFollowUps,
      });
    });
    after(() => h.close());

    /** A tab checks out and stops with its hold taken, before its order's statement. */
    async function tabAPlacing(userId: string, request: string | CheckoutRequest) {
      let reached!: () => void;
      let goOn!: () => void;
      const atPlace = new Promise<void>((resolve) => (reached = resolve));
      const key = typeof request === "string" ? request : request.idempotencyKey;
      placing = { orderId: orderIdFor(userId, key), reached, goOn: new Promise<void>((resolve) => (goOn = resolve)) };
      const tabA = h.checkout.checkout(userId, request);
      tabA.catch(() => undefined);
      await atPlace;
      return { tabA, goOn };
    }

    /** The order's payment succeeds: its hold is sold, or taken again if it was let go. */
    async function pay(orderId: string) {
      const payment = (await h.prisma.payment.findFirst({ where: { orderId } }))!;
      await h.handlePaymentOutcome(newEvent(PaymentEventTypes.confirmed, orderId, { paymentId: payment.id, orderId, providerRef: `ch_${orderId}`, attempts: 1 }));
    }

    it("tab B, the cart edited meanwhile, is refused IDEMPOTENCY_CONFLICT and leaves tab A's hold: A's order keeps its units", async () => {
      await h.addToCart("ann", "p1", 2);
      const stock = h.reservations.available("p1");
      const { tabA, goOn } = await tabAPlacing("ann", "key-1");
      await h.addToCart("ann", "p2", 1);
      await assert.rejects(h.checkout.checkout("ann", "key-1"), (error) => codeOf(error) === "IDEMPOTENCY_CONFLICT");
      assert.equal(h.reservations.statusOf(orderIdFor("ann", "key-1")), "HELD", "tab A's hold is still held while A places its order");
      goOn();
      const order = await tabA;
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD");
      assert.equal(h.reservations.available("p1"), stock - 2, "A's two units stay off sale");
      await pay(order.id);
      assert.equal((await h.store.findById(order.id))!.status, "PAID");
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.equal(h.reservations.available("p1"), stock - 2, "sold once");
      assert.deepEqual((await h.cartOf("ann")).lines.map((line) => line.variantId), ["p2"], "the line added meanwhile stays in the cart");
    });

    it("tab B, the same cart, fails to write its order while tab A places it: A's order keeps its hold", async () => {
      await h.addToCart("bea", "p1", 1);
      const stock = h.reservations.available("p1");
      const { tabA, goOn } = await tabAPlacing("bea", "key-2");
      failPlaceOf = orderIdFor("bea", "key-2");
      await assert.rejects(h.checkout.checkout("bea", "key-2"), /Connection terminated/);
      assert.equal(h.reservations.statusOf(orderIdFor("bea", "key-2")), "HELD", "B found the hold taken by A: it is not B's to give back");
      goOn();
      const order = await tabA;
      assert.equal(h.reservations.statusOf(order.id), "HELD");
      assert.equal(h.reservations.available("p1"), stock - 1);
      assert.equal(await h.prisma.order.count({ where: { userId: "bea" } }), 1);
    });

    it("tab A fails to write its order after tab B reserved the same hold: B's order keeps it", async () => {
      await h.addToCart("cid", "p3", 1);
      const stock = h.reservations.available("p3");
      const orderId = orderIdFor("cid", "key-3");
      const tabA = await tabAPlacing("cid", "key-3");
      const tabB = await tabAPlacing("cid", "key-3");
      failPlaceOf = orderId;
      tabA.goOn();
      await assert.rejects(tabA.tabA, /Connection terminated/);
      assert.equal(h.reservations.statusOf(orderId), "HELD", "A took the hold, but B reserved it since: B may be placing on it");
      tabB.goOn();
      const order = await tabB.tabA;
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD");
      assert.equal(h.reservations.available("p3"), stock - 1);
    });

    it("a key retried after its first try held the cart and died unplaced: its own failure still gives the hold it took back", async () => {
      await h.addToCart("dee", "p1", 1);
      const stock = h.reservations.available("p1");
      failPlaceOf = orderIdFor("dee", "key-4");
      await assert.rejects(h.checkout.checkout("dee", "key-4"), /Connection terminated/);
      assert.equal(h.reservations.available("p1"), stock, "the hold this try took and nobody else reserved goes back");
    });

    it("tab B finding the cart emptied by another tab leaves the key's hold to tab A, which cannot place on it once the same lines are put back and gives it back as the last try out", async () => {
      await h.addToCart("fay", "p1", 2);
      const stock = h.reservations.available("p1");
      const orderId = orderIdFor("fay", "key-6");
      const { tabA, goOn } = await tabAPlacing("fay", "key-6");
      // A third tab empties the cart: B, the same key, finds it empty and no order under the key.
      await h.cartStore.changeLine("fay", "p1", () => null);
      await assert.rejects(h.checkout.checkout("fay", "key-6"), (error) => codeOf(error) === "CART_EMPTY");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "A reserved it a moment ago: a try of the key may be placing on it");
      // The very same line (variant, quantity, price) goes back before A places: it is another
      // line (added anew), so A, priced on the one removed, must not place an order on it.
      await h.addToCart("fay", "p1", 2);
      goOn();
      await assert.rejects(tabA, (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderId), "RELEASED", "A, the last try out, gave it back");
      assert.equal(await h.prisma.order.count({ where: { userId: "fay" } }), 0, "no order without a hold");
      assert.equal(h.reservations.available("p1"), stock, "no unit held for nobody");
      assert.deepEqual((await h.cartOf("fay")).lines.map((line) => [line.variantId, line.quantity]), [["p1", 2]], "the line put back stays in the cart");
    });

    /** The next release waits until the test lets it go on: a refused try about to give its hold back. */
    function pauseNextRelease() {
      let reached!: () => void;
      let goOn!: () => void;
      const atRelease = new Promise<void>((resolve) => (reached = resolve));
      const proceed = new Promise<void>((resolve) => (goOn = resolve));
      h.reservations.beforeNextRelease(async () => {
        reached();
        await proceed;
      });
      return { atRelease, goOn };
    }

    it("tab B finding the cart empty leaves the key's hold to tab C, which reserved it once the line was put back: C's order keeps its units", async () => {
      await h.addToCart("uma", "p1", 2);
      const stock = h.reservations.available("p1");
      const orderId = orderIdFor("uma", "key-31");
      // The cart emptied in another tab; B (a double click on the checkout page) reads it empty.
      await h.cartStore.changeLine("uma", "p1", () => null);
      const releasing = pauseNextRelease();
      const tabB = h.checkout.checkout("uma", "key-31");
      tabB.catch(() => undefined);
      await releasing.atRelease;
      // The line goes back and C, the same key, prices it, reserves the key's hold and places.
      await h.addToCart("uma", "p1", 2);
      const tabC = await tabAPlacing("uma", "key-31");
      releasing.goOn();
      await assert.rejects(tabB, (error) => codeOf(error) === "CART_EMPTY");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "C reserved the hold after B read the cart: C may be placing on it");
      tabC.goOn();
      const order = await tabC.tabA;
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD", "a PENDING order keeps its hold");
      assert.equal(h.reservations.available("p1"), stock - 2, "its two units stay off sale");
      await pay(order.id);
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.equal(h.reservations.available("p1"), stock - 2, "sold once");
    });

    it("tab A losing its emptied cart leaves the key's hold to tab C, which reserved it once the line was put back: C's order keeps its units", async () => {
      await h.addToCart("vic", "p2", 2);
      const stock = h.reservations.available("p2");
      const orderId = orderIdFor("vic", "key-32");
      const tabA = await tabAPlacing("vic", "key-32");
      // The cart emptied in another tab: A's statement finds its lines gone, and A gives back.
      await h.cartStore.changeLine("vic", "p2", () => null);
      const releasing = pauseNextRelease();
      tabA.goOn();
      await releasing.atRelease;
      await h.addToCart("vic", "p2", 2);
      const tabC = await tabAPlacing("vic", "key-32");
      releasing.goOn();
      await assert.rejects(tabA.tabA, (error) => codeOf(error) === "CART_EMPTY");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "C reserved the hold after A's statement: C may be placing on it");
      tabC.goOn();
      const order = await tabC.tabA;
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD", "a PENDING order keeps its hold");
      assert.equal(h.reservations.available("p2"), stock - 2, "its two units stay off sale");
    });

    it("a try finding the cart empty gives back a hold its key's dead try left, once idle past the placing deadline", async () => {
      await h.addToCart("wes", "p3", 1);
      const stock = h.reservations.available("p3");
      const orderId = orderIdFor("wes", "key-33");
      // A first try reserved, then its process died before placing; the cart was emptied since.
      await h.reservations.port.reserve(orderId, [{ variantId: "p3", quantity: 1 }]);
      await h.cartStore.changeLine("wes", "p3", () => null);
      await assert.rejects(h.checkout.checkout("wes", "key-33"), (error) => codeOf(error) === "CART_EMPTY");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "reserved a moment ago: a try may be placing on it");
      h.reservations.idle(orderId, LIVE_ATTEMPT_MAX_MS + 1_000);
      await looks.get(orderId)!.look();
      assert.equal(h.reservations.statusOf(orderId), "RELEASED", "the second look gives it back once no try can be live");
      assert.equal(h.reservations.available("p3"), stock);
    });

    /** Another tab sets a line's quantity, as updateCartItem does: the line keeps when it was added. */
    const setQuantity = (userId: string, variantId: string, quantity: number) => h.cartStore.changeLine(userId, variantId, (current) => ({ ...current!, quantity }));

    it("tab A losing the cart to a quantity edit leaves the key's hold to tab B, which places the cart once the edit is undone: the order keeps its units", async () => {
      await h.addToCart("gus", "p2", 2);
      const stock = h.reservations.available("p2");
      const orderId = orderIdFor("gus", "key-7");
      const tabA = await tabAPlacing("gus", "key-7");
      const tabB = await tabAPlacing("gus", "key-7");
      await setQuantity("gus", "p2", 3);
      tabA.goOn();
      await assert.rejects(tabA.tabA, (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "B reserved the hold after A: B may still place on it");
      await setQuantity("gus", "p2", 2);
      tabB.goOn();
      const order = await tabB.tabA;
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD", "a PENDING order comes with a live hold");
      assert.equal(h.reservations.available("p2"), stock - 2);
      await pay(order.id);
      assert.equal((await h.store.findById(order.id))!.status, "PAID");
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.equal(h.reservations.available("p2"), stock - 2, "sold once");
    });

    it("both tabs of one key refused for a quantity edit: the last one out gives the key's hold back at once, not a minute later", async () => {
      await h.addToCart("jon", "p1", 2);
      const stock = h.reservations.available("p1");
      const orderId = orderIdFor("jon", "key-11");
      const tabA = await tabAPlacing("jon", "key-11");
      const tabB = await tabAPlacing("jon", "key-11");
      await setQuantity("jon", "p1", 3);
      tabA.goOn();
      await assert.rejects(tabA.tabA, (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "A left the hold to B, which may be placing on it");
      tabB.goOn();
      await assert.rejects(tabB.tabA, (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderId), "RELEASED", "B, the last try out, gave it back");
      assert.equal(h.reservations.available("p1"), stock, "the units are on sale again at once");
      assert.equal(await h.prisma.order.count({ where: { userId: "jon" } }), 0);
      // The second look, still due for a try that died before leaving, finds nothing to do.
      const due = looks.get(orderId);
      assert.ok(due, "a second look at the hold is due");
      assert.equal(due.afterMs, LIVE_ATTEMPT_MAX_MS + HOLD_FOLLOW_UP_MARGIN_MS, "once no try of the key can be live");
      await due.look();
      assert.equal(h.reservations.available("p1"), stock);
    });

    it("the second look leaves a hold an order of the key was placed on, and one a try of the key reserved since", async () => {
      await h.addToCart("kim", "p2", 2);
      const stock = h.reservations.available("p2");
      const orderId = orderIdFor("kim", "key-12");
      const tabA = await tabAPlacing("kim", "key-12");
      const tabB = await tabAPlacing("kim", "key-12");
      await setQuantity("kim", "p2", 3);
      tabA.goOn();
      await assert.rejects(tabA.tabA, (error) => codeOf(error) === "CART_CHANGED");
      await setQuantity("kim", "p2", 2);
      tabB.goOn();
      const order = await tabB.tabA;
      h.reservations.idle(orderId, LIVE_ATTEMPT_MAX_MS + 1_000);
      await looks.get(orderId)!.look();
      assert.equal(h.reservations.statusOf(order.id), "HELD", "the order's hold stays");
      assert.equal(h.reservations.available("p2"), stock - 2);

      // A hold a new try of the key reserved a moment ago is that try's.
      await h.addToCart("lou", "p3", 1);
      const louOrder = orderIdFor("lou", "key-13");
      const louA = await tabAPlacing("lou", "key-13");
      const louB = await tabAPlacing("lou", "key-13");
      await setQuantity("lou", "p3", 2);
      louA.goOn();
      louB.goOn();
      await assert.rejects(louA.tabA, (error) => codeOf(error) === "CART_CHANGED");
      await assert.rejects(louB.tabA, (error) => codeOf(error) === "CART_CHANGED");
      await h.reservations.port.reserve(louOrder, [{ variantId: "p3", quantity: 1 }]);
      await looks.get(louOrder)!.look();
      assert.equal(h.reservations.statusOf(louOrder), "HELD", "reserved since: a try may be placing on it");
    });

    it("a line removed and put back between two tabs of one key: the tab placing the new line keeps its hold, and the order its units", async () => {
      await h.addToCart("rob", "p2", 2);
      const stock = h.reservations.available("p2");
      const orderId = orderIdFor("rob", "key-21");
      const tabA = await tabAPlacing("rob", "key-21");
      // Removed and added again: a new line of the same variant, quantity and price.
      await h.cartStore.changeLine("rob", "p2", () => null);
      await h.addToCart("rob", "p2", 2);
      const tabB = await tabAPlacing("rob", "key-21");
      tabA.goOn();
      await assert.rejects(tabA.tabA, (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderId), "HELD", "B reserved the hold since A: B may be placing on it");
      tabB.goOn();
      const order = await tabB.tabA;
      assert.equal(order.status, "PENDING");
      assert.equal(h.reservations.statusOf(order.id), "HELD", "a PENDING order keeps its hold");
      assert.equal(h.reservations.available("p2"), stock - 2, "its two units stay off sale");
      await pay(order.id);
      assert.equal(h.reservations.statusOf(order.id), "COMMITTED");
      assert.equal(h.reservations.available("p2"), stock - 2, "sold once");
    });

    it("one tab losing its cart to a quantity edit still gives its hold back at once", async () => {
      await h.addToCart("hal", "p3", 2);
      const stock = h.reservations.available("p3");
      const { tabA, goOn } = await tabAPlacing("hal", "key-8");
      await setQuantity("hal", "p3", 1);
      goOn();
      await assert.rejects(tabA, (error) => codeOf(error) === "CART_CHANGED");
      assert.equal(h.reservations.statusOf(orderIdFor("hal", "key-8")), "RELEASED");
      assert.equal(h.reservations.available("p3"), stock);
      assert.equal(await h.prisma.order.count({ where: { userId: "hal" } }), 0);
    });

    it("a saved address edited in another tab while the order is being placed: the order ships to the address it was priced for, and a retry of its key answers it", async () => {
      await h.prisma.taxRate.createMany({ data: [{ countryCode: "US", region: "WA", rateBasisPoints: 650 }, { countryCode: "US", region: "OR", rateBasisPoints: 0 }] });
      const home = { ...TEST_ADDRESS, region: "WA", postalCode: "98101", line2: null, phone: null };
      h.saveAddress("ivy", "adr_home", home);
      await h.addToCart("ivy", "p1", 1);
      const request = { idempotencyKey: "key-9", shippingAddressId: "adr_home", shippingMethodId: TEST_SHIPPING_METHOD_ID };
      const { tabA, goOn } = await tabAPlacing("ivy", request);
      // The other tab moves the saved address to another state, taxed otherwise.
      h.saveAddress("ivy", "adr_home", { ...home, line1: "9 New Street", region: "OR", postalCode: "97201" });
      goOn();
      const order = await tabA;
      assert.deepEqual([order.shippingAddress?.line1, order.shippingAddress?.region, order.taxTotal.amount, order.total.amount], ["1 Main Street", "WA", 65, 1065], "the address and the tax it was priced with, together");
      const stored = (await h.store.findById(order.id))!;
      assert.deepEqual([stored.shippingAddress?.region, stored.taxTotal.amount, stored.total.amount], ["WA", 65, 1065]);
      assert.equal((await h.checkout.checkout("ivy", request)).id, order.id, "a retry of the key is its order, not a new one to the new address");
      await h.addToCart("ivy", "p1", 1);
      const next = await h.checkout.checkout("ivy", { ...request, idempotencyKey: "key-10" });
      assert.deepEqual([next.shippingAddress?.region, next.taxTotal.amount], ["OR", 0], "the next checkout ships to the address as edited");
    });

    it("a hold idle past the placing deadline is given back by a refused same-key try; a younger one is not", async () => {
      await h.addToCart("eve", "p2", 2);
      const stock = h.reservations.available("p2");
      // A first try reserved the cart as it was, then its process died before placing the order.
      const orderId = orderIdFor("eve", "key-5");
      await h.reservations.port.reserve(orderId, [{ variantId: "p2", quantity: 2 }]);
      await h.addToCart("eve", "p3", 1);
      await assert.rejects(h.checkout.checkout("eve", "key-5"), (error) => codeOf(error) === "IDEMPOTENCY_CONFLICT");
      assert.equal(h.reservations.available("p2"), stock - 2, "a hold reserved a moment ago may be another tab's: it stays");
      h.reservations.idle(orderId, LIVE_ATTEMPT_MAX_MS + 1_000);
      await assert.rejects(h.checkout.checkout("eve", "key-5"), (error) => codeOf(error) === "IDEMPOTENCY_CONFLICT");
      assert.equal(h.reservations.available("p2"), stock, "nobody can be placing on it any more: its units are back");
      assert.equal(await h.prisma.order.count({ where: { userId: "eve" } }), 0);
    });
  });
}

defineSameKeyTabsSuite("embedded");
describeWithRealEngine({ suite: "one checkout key in two tabs at once", engine: "postgresql", variable: "DATABASE_URL" }, () => defineSameKeyTabsSuite("real"));
