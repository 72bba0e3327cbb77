import assert from "node:assert/strict";
import { after, before, it, mock } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createStockedProduct, customer, dataOf } from "../../subgraphs/orders/test/support/storefront-operations.js";

/** The host's true time, read past any mock of Date. */
const trueNow = Date.now.bind(Date);

// An orders replica whose host clock is behind (the database keeps the truth). The order's and
// its payment's times are read by other processes: the payments service gives a payment up once
// it is PAYMENT_RETRY_FOR_MS (10 min) old, the reconciler and the return window count from them.
// Stamped by a host 11 minutes behind, a payment placed a second ago was already past that for
// everyone else. The run here is 45 s behind: the whole supergraph shares this process's Date,
// and its gateway's internal credentials live 60 s.

describeOnEngines("a checkout on an orders replica whose host clock is behind", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
  });
  after(async () => {
    mock.timers.reset();
    await db?.$disconnect();
    await sg?.close();
    await simulator?.close();
  });

  it("stamps the order and its payment with the database's time, not its host's", async () => {
    const productId = await createStockedProduct(sg, 3);
    let orderId: string;
    mock.timers.enable({ apis: ["Date"], now: trueNow() - 45_000 });
    try {
      const c = await customer(sg);
      await c.add(productId, 1);
      orderId = dataOf(await c.checkout()).checkout.id;
    } finally {
      mock.timers.reset();
    }
    const [stamped] = await db.$queryRaw<{ order: Date; payment: Date; now: Date }[]>`
      SELECT o."createdAt" AS order, p."createdAt" AS payment, (clock_timestamp() AT TIME ZONE 'UTC') AS now
      FROM "Order" o JOIN "Payment" p ON p."orderId" = o.id WHERE o.id = ${orderId}`;
    assert.ok(stamped, "the order and its payment were stored");
    for (const [what, at] of [["order", stamped.order], ["payment", stamped.payment]] as const) {
      const ageMs = new Date(stamped.now).getTime() - new Date(at).getTime();
      assert.ok(Math.abs(ageMs) < 15_000, `the ${what} placed a moment ago is stamped ${Math.round(ageMs / 1000)} s old`);
    }
  });
});
