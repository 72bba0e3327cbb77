import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { orderIdFor } from "../../subgraphs/orders/src/domain/checkout.service.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createStockedProduct, customer, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

// Issue #11, item 1: one cart fired at checkout several times at once with DISTINCT keys
// (double click, two tabs) must become one order and one charge, whatever the keys.

const STOCK = 200;

describeOnEngines("one cart checked out concurrently becomes one order", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 20 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
    await simulator?.close();
  });

  /** Fills one customer's cart with fresh products of known stock; returns the cart's lines. */
  async function fillCart(c: Awaited<ReturnType<typeof customer>>, quantities: number[]): Promise<Record<string, number>> {
    const lines: Record<string, number> = {};
    for (const quantity of quantities) {
      const productId = await createStockedProduct(sg, STOCK);
      await c.add(productId, quantity);
      lines[productId] = quantity;
    }
    return lines;
  }

  /**
   * Fires one checkout per key at once and checks the money invariants: one order (answered
   * to every call with its key), one payment, one PaymentRequested, one capture; stock down
   * by exactly the cart; every other call CART_EMPTY naming that order, its hold released.
   */
  async function raceCheckouts(keys: string[], quantities: number[]): Promise<void> {
    const c = await customer(sg);
    const lines = await fillCart(c, quantities);
    const responses = await Promise.all(keys.map((key) => checkoutAsAClientWould(c, key)));

    const placed = responses.flatMap((r, i) => (r.data?.checkout ? [{ key: keys[i]!, id: r.data.checkout.id as string, status: r.data.checkout.status as string }] : []));
    const orderIds = new Set(placed.map((p) => p.id));
    assert.equal(orderIds.size, 1, `exactly one order id among the answers: ${responses.map((r) => r.data?.checkout?.id ?? r.errors?.[0]?.extensions?.code).join(" ")}`);
    const winner = placed[0]!;
    assert.ok(placed.every((p) => p.key === winner.key && p.status === "PENDING"), "only calls with the winning key get the order");
    const losers = responses.filter((r) => !r.data?.checkout);
    assert.equal(losers.length, keys.filter((key) => key !== winner.key).length, "every call with another key loses");
    for (const loser of losers) {
      const error = loser.errors?.[0];
      assert.equal(error?.extensions?.code, "CART_EMPTY", JSON.stringify(loser.errors));
      assert.equal(error?.extensions?.orderId, winner.id, "a loser is told which order took its cart");
    }

    // Decided at once: the losers' holds are back before they answered.
    const loserIds = [...new Set(keys.filter((key) => key !== winner.key).map((key) => orderIdFor(c.userId, key)))];
    const holds = await db.reservation.findMany({ where: { id: { in: [winner.id, ...loserIds] } }, select: { id: true, status: true } });
    // (A call that read the cart after the winner emptied it never held anything.)
    for (const hold of holds) {
      // The winner's may be sold already: its payment runs as soon as the order commits.
      const expected = hold.id === winner.id ? ["HELD", "COMMITTED"] : ["RELEASED"];
      assert.ok(expected.includes(hold.status), `hold ${hold.id} is ${hold.status}`);
    }
    for (const [productId, quantity] of Object.entries(lines)) assert.equal(await stockOf(sg, productId), STOCK - quantity, `stock of ${productId}`);
    assert.equal(await db.order.count({ where: { userId: c.userId } }), 1);
    assert.equal(await db.payment.count({ where: { userId: c.userId } }), 1);
    assert.equal(await db.outboxEvent.count({ where: { type: "PaymentRequested", key: { in: loserIds } } }), 0);
    assert.deepEqual(await db.cartItem.findMany({ where: { userId: c.userId } }), [], "the cart went into the order");

    await waitForStatus(sg, c.token, winner.id, "PAID");
    assert.equal(simulator.ledger({ customer: c.userId }).charges.length, 1, "one capture");
    assert.equal(await db.reservation.count({ where: { id: { in: [winner.id, ...loserIds] }, status: "HELD" } }), 0, "no hold left behind");
    for (const [productId, quantity] of Object.entries(lines)) assert.equal(await stockOf(sg, productId), STOCK - quantity, `stock of ${productId} after the sale`);
  }

  /**
   * One tab's checkout as the clients retry it: SERVICE_UNAVAILABLE (a hop that timed out on a
   * loaded machine) is sent again under the same key, which can only find that key's order or
   * the cart's fate; every other answer is final.
   */
  async function checkoutAsAClientWould(c: Awaited<ReturnType<typeof customer>>, key: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await c.checkout(key);
      if (response.errors?.[0]?.extensions?.code !== "SERVICE_UNAVAILABLE" || Date.now() > deadline) return response;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const distinctKeys = (n: number) => Array.from({ length: n }, () => randomUUID());

  for (const n of [2, 5, 50]) {
    it(`${n} concurrent checkouts of a one-line cart with distinct keys: one order, one charge`, () => raceCheckouts(distinctKeys(n), [2]));
    it(`${n} concurrent checkouts of a three-line cart with distinct keys: one order, one charge`, () => raceCheckouts(distinctKeys(n), [2, 1, 3]));
  }

  it("same-key duplicates racing distinct keys: the winning key's calls all get its order, every other call CART_EMPTY", () => {
    const [a, b] = distinctKeys(2) as [string, string];
    const keys = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? a : i % 3 === 1 ? b : randomUUID()));
    return raceCheckouts(keys, [1, 2]);
  });
});
