import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createStockedProduct, customer, Ops, stockOf, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { collectSubscription, wsClient } from "../support/graphql-client.js";

// More checkouts at once than the orders process works on: those past its capacity are told
// so through the gateway (SERVICE_UNAVAILABLE, reason OVERLOADED, a retry hint), having done
// nothing, and go through when retried with the same key. Money and stock stay right.

const CUSTOMERS = 16;

describeOnEngines("checkouts past the orders process's capacity", (engines) =>
  overloadSuite(engines, { CHECKOUT_MAX_IN_FLIGHT: "1", CHECKOUT_MAX_WAIT_MS: "0" }, { serviceName: "orders" }),
);
describeOnEngines("checkouts past the gateway's connections to the orders subgraph", (engines) =>
  // Refused by the gateway before it is sent: no subgraph answered, so none is named.
  overloadSuite(engines, { GATEWAY_SUBGRAPH_CONNECTIONS: "1", GATEWAY_SUBGRAPH_QUEUE_MS: "0" }, {}),
);

function overloadSuite(engines: Parameters<Parameters<typeof describeOnEngines>[1]>[0], limits: Record<string, string>, refusedBy: { serviceName?: string }): void {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let db: PrismaClient;

  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 20 });
    // One checkout at work, none waiting: every other one arriving meanwhile is refused.
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url, ...limits } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
    await simulator?.close();
  });

  it("refuses the excess with OVERLOADED and nothing written; retried under the same keys, each is one order and one charge", async () => {
    const productId = await createStockedProduct(sg, 100);
    const customers = await Promise.all(Array.from({ length: CUSTOMERS }, () => customer(sg)));
    for (const c of customers) await c.add(productId, 2);
    const keys = customers.map((c) => `key-${c.userId}`);

    // Every other customer over the WebSocket transport: the same limits, the same refusal.
    const overSocket = async (c: (typeof customers)[number], key: string) => {
      const client = wsClient(sg.gatewayUrl, c.token);
      try {
        const [answer] = await collectSubscription(client, Ops.checkout, { key }, () => true, 30_000);
        return answer!;
      } finally {
        await client.dispose();
      }
    };
    const first = await Promise.all(customers.map((c, i) => (i % 2 === 0 ? c.checkout(keys[i]) : overSocket(c, keys[i]!))));
    const refused = first.flatMap((response, i) => (response.data?.checkout ? [] : [i]));
    assert.ok(refused.length > 0 && refused.length < CUSTOMERS, `some of ${CUSTOMERS} refused, not all: ${refused.length}`);
    assert.ok(refused.some((i) => i % 2 === 0) && refused.some((i) => i % 2 === 1), "refused over HTTP and over the WebSocket alike");
    for (const i of refused) {
      const errors = first[i]!.errors ?? [];
      assert.equal(errors.length, 1);
      assert.deepEqual(errors[0]!.extensions, { code: "SERVICE_UNAVAILABLE", reason: "OVERLOADED", retryAfterSeconds: 1, ...refusedBy });
      assert.match(errors[0]!.message, /nothing was done/);
      assert.equal(JSON.stringify(first[i]).includes("    at "), false, "no stack trace");
      assert.equal(await db.order.count({ where: { userId: customers[i]!.userId } }), 0, "no order for a refused checkout");
    }
    assert.equal(await stockOf(sg, productId), 100 - 2 * (CUSTOMERS - refused.length), "only the placed orders hold stock");

    // Retried one after another, as a client honouring the hint would: every one goes through.
    const orders = first.map((response) => response.data?.checkout?.id as string | undefined);
    for (const i of refused) {
      const retried = await customers[i]!.checkout(keys[i]);
      assert.ok(retried.data?.checkout, JSON.stringify(retried.errors));
      orders[i] = retried.data.checkout.id;
    }
    for (const [i, id] of orders.entries()) await waitForStatus(sg, customers[i]!.token, id!, "PAID");
    assert.equal(await stockOf(sg, productId), 100 - 2 * CUSTOMERS);
    const payments = await db.payment.findMany({ where: { orderId: { in: orders as string[] } } });
    assert.equal(payments.length, CUSTOMERS, "one payment per order");
    for (const id of orders) assert.equal(simulator.ledger({ orderId: id! }).charges.length, 1, `one capture at the provider for ${id}`);
  });
}
