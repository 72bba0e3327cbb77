import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { OutageEventBus } from "../../subgraphs/orders/test/support/test-event-buses.js";
import { customer, restock, TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

const ORDERS = 12;
const PRODUCTS = Array.from({ length: 10 }, (_, i) => `prod_00000${20 + i}`);

describeOnEngines("checkout while the event broker is down", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;
  let bus: OutageEventBus | undefined;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5 });
    sg = await startCheckoutSupergraph({
      engines,
      env: { PAYMENT_PROVIDER_URL: simulator.url },
      decorateBus: (inner) => (bus = new OutageEventBus(inner)),
    });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    await restock(sg, PRODUCTS);
  });
  after(async () => {
    await db.$disconnect();
    await sg.close();
    await simulator.close();
  });

  it("keeps orders PENDING during the outage, delivers every event afterwards and applies none twice", async () => {
    bus!.stopBroker();
    const buyers = await Promise.all(Array.from({ length: ORDERS }, () => customer(sg)));
    const orders = await Promise.all(buyers.map((c, i) => c.placeOrder({ [PRODUCTS[i % PRODUCTS.length]!]: 1 })));
    assert.ok(orders.every((o) => o.status === "PENDING"), "checkout answers while the broker is down");

    // The relay keeps trying and failing; nothing moves meanwhile.
    const refusedBefore = bus!.stats.refused;
    await waitFor("the relay has retried at least three more times", () => bus!.stats.refused >= refusedBefore + 3);
    const ids = orders.map((o) => o.id);
    const stuck = await db.order.findMany({ where: { id: { in: ids } }, select: { status: true } });
    assert.deepEqual(new Set(stuck.map((o) => o.status)), new Set(["PENDING"]));
    assert.equal(await db.outboxEvent.count({ where: { key: { in: ids }, publishedAt: null } }), ORDERS * 2, "OrderStatusChanged + PaymentRequested per order, all waiting");
    assert.equal(simulator.ledger().charges.length, 0, "nobody was charged: PaymentRequested never left");

    // The broker returns, but loses the acknowledgement of the first batch of payment requests
    // and of confirmations: the relay sends them again and consumers get them twice.
    bus!.startBroker({ lostAcks: { PaymentRequested: 1, PaymentConfirmed: 1 } });
    await waitFor(
      "every order is PAID",
      async () => (await db.order.count({ where: { id: { in: ids }, status: "PAID" } })) === ORDERS,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    assert.ok(bus!.stats.duplicatedTypes.get("PaymentRequested"), "payment requests really were delivered twice");
    assert.ok(bus!.stats.duplicatedTypes.get("PaymentConfirmed"), "payment confirmations really were delivered twice");
    await waitFor("the outbox is empty", async () => (await db.outboxEvent.count({ where: { publishedAt: null } })) === 0);

    for (const id of ids) {
      const history = await db.orderStatusChange.findMany({ where: { orderId: id }, orderBy: { at: "asc" } });
      assert.deepEqual(history.map((h) => `${h.from ?? "-"}>${h.to}`), ["->PENDING", "PENDING>PAID"], `order ${id} moved once`);
      assert.equal(simulator.ledger({ orderId: id }).charges.length, 1, `order ${id} was charged once`);
    }
    const payments = await db.payment.findMany({ where: { orderId: { in: ids } } });
    assert.ok(payments.every((p) => p.status === "SUCCEEDED"));
    assert.equal(await db.processedEvent.count({ where: { consumer: "orders" } }), ORDERS, "one PaymentConfirmed applied per order");
  });
});

// An outage longer than the payments sweep's patience: the sweep charges payments whose
// PaymentRequested never left the outbox. It must charge what the customer chose.
describeOnEngines("checkout during an outage the payments sweep outlasts", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;
  let bus: OutageEventBus | undefined;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 5 });
    sg = await startCheckoutSupergraph({
      engines,
      env: { PAYMENT_PROVIDER_URL: simulator.url, PAYMENT_RECOVERY_AFTER_MS: "500", PAYMENT_RECOVERY_INTERVAL_MS: "200" },
      decorateBus: (inner) => (bus = new OutageEventBus(inner)),
    });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    await restock(sg, PRODUCTS.slice(0, 2));
  });
  after(async () => {
    await db.$disconnect();
    await sg.close();
    await simulator.close();
  });

  it("charges the payment method the customer chose, not the provider's default: a declining card fails and is never captured", async () => {
    const checkoutWith = `mutation($key: String!, $method: String) { checkout(idempotencyKey: $key, paymentMethod: $method, ${TEST_DESTINATION}) { id status } }`;
    bus!.stopBroker();
    const placed: Record<string, string> = {};
    for (const [method, product] of [["pm_card_declined", PRODUCTS[0]!], ["pm_card_ok", PRODUCTS[1]!]] as const) {
      const buyer = await customer(sg);
      await buyer.add(product);
      const answer = await sg.query(checkoutWith, { key: randomUUID(), method }, buyer.token);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      placed[method] = answer.data!.checkout.id;
    }
    const settled = async (orderId: string) => (await db.payment.findFirst({ where: { orderId } }))?.status;
    await waitFor("the sweep settles both payments while the broker is still down", async () => (await settled(placed.pm_card_declined!)) !== "PENDING" && (await settled(placed.pm_card_ok!)) !== "PENDING", { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(await settled(placed.pm_card_declined!), "FAILED");
    assert.equal(simulator.ledger({ orderId: placed.pm_card_declined! }).charges.length, 0, "the declining card was not charged");
    assert.equal(await settled(placed.pm_card_ok!), "SUCCEEDED");
    assert.equal(simulator.ledger({ orderId: placed.pm_card_ok! }).charges.length, 1);

    bus!.startBroker();
    await waitFor("the orders follow their payments", async () => {
      const [declined, paid] = await Promise.all([db.order.findFirst({ where: { id: placed.pm_card_declined! } }), db.order.findFirst({ where: { id: placed.pm_card_ok! } })]);
      return declined?.status === "PAYMENT_FAILED" && paid?.status === "PAID";
    }, { timeoutMs: 30_000, intervalMs: 100 });
  });
});
