// A client whose Accept header names no type the gateway answers in (a browser's form post, a
// fetch with "text/html" or "application/xml") is refused 406 before anything runs: a mutation
// so refused changes nothing (no cart line, no order, no charge), as its client, told it failed,
// believes. Apollo Server negotiated the answer's type only after executing the operation.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createStockedProduct, dataOf, stockOf, TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

const ADD = `mutation($productId: ID!) { addToCart(productId: $productId, quantity: 1) { totalQuantity } }`;
const CHECKOUT = `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_ok") { id } }`;
const CART = `{ cart { totalQuantity } }`;
const ORDERS = `{ orders(first: 5) { edges { node { id } } } }`;

describeOnEngines("an answer type the gateway cannot give", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 2 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url } });
  });
  after(async () => {
    await sg?.close();
    await simulator?.close();
  });

  const post = (query: string, variables: Record<string, unknown>, token: string, accept: string) =>
    fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", accept, authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });

  for (const accept of ["text/html", "application/xml", "text/html, application/xhtml+xml;q=0.9", "application/json;q=0"]) {
    it(`refuses a mutation sent with Accept: ${accept} before it runs, 406 with a code, and changes nothing`, async () => {
      const product = await createStockedProduct(sg, 5, 900);
      const charged = simulator.ledger().charges.length;
      const token = await sg.token(`accept-${randomUUID().slice(0, 8)}`);
      const refused = await post(ADD, { productId: product }, token, accept);
      assert.equal(refused.status, 406);
      const body = (await refused.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
      assert.ok(body.errors?.[0]?.extensions?.code, JSON.stringify(body));
      assert.match(body.errors![0]!.message, /application\/json/);
      assert.equal(dataOf(await sg.query(CART, {}, token)).cart.totalQuantity, 0, "the refused add put a line in the cart");

      dataOf(await sg.query(ADD, { productId: product }, token));
      const checkout = await post(CHECKOUT, { key: randomUUID() }, token, accept);
      assert.equal(checkout.status, 406);
      await checkout.arrayBuffer();
      assert.deepEqual(dataOf(await sg.query(ORDERS, {}, token)).orders.edges, [], "the refused checkout placed an order");
      assert.equal(simulator.ledger().charges.length, charged, "the refused checkout charged");
      assert.equal(await stockOf(sg, product), 5, "the refused checkout held stock");
    });
  }
});
