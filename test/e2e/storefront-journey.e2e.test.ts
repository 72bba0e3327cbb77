// A customer's whole visit through the gateway, with the operations client apps ship
// (schema/operations): every public root field a storefront uses, over real HTTP and WebSocket.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readGoldenOperations } from "../../schema/golden-operations.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { collectSubscription, postGraphQL, wsClient } from "../support/graphql-client.js";
import { waitFor } from "#kernel/testing";

const op = Object.fromEntries(readGoldenOperations().map(({ name, query }) => [name, query]));

describe("storefront journey through the gateway", () => {
  let sg: TestSupergraph;
  let token: string;
  const call = async <T = any>(name: string, variables: Record<string, unknown> = {}) => {
    const res = await postGraphQL<T>(sg.gatewayUrl, op[name]!, variables, { token });
    assert.equal(res.errors, undefined, `${name}: ${JSON.stringify(res.errors)}`);
    return res.data!;
  };

  before(async () => {
    sg = await startTestSupergraph();
  });
  after(() => sg.close());

  it("signs up and logs in, and the token works at the gateway", async () => {
    const signUp = await sg.query(
      `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`,
      { input: { email: "journey@example.com", password: "correct horse battery staple", name: "Journey" } },
    );
    assert.equal(signUp.errors, undefined, JSON.stringify(signUp.errors));
    const login = await postGraphQL(sg.gatewayUrl, op.LogIn!, { email: "JOURNEY@example.com", password: "correct horse battery staple" });
    token = login.data!.logIn.accessToken;
    assert.equal((await call("Me")).me.email, "journey@example.com");
  });

  it("browses: listing, product page with stock, search with facets, autocomplete", async () => {
    const listing = await call("CategoryListing", { slug: "Electronics", first: 5 });
    assert.ok(listing.products.edges.length > 0);
    const page = await call("ProductPage", { id: "prod_0000001" });
    assert.equal(page.product.id, "prod_0000001");
    assert.equal(typeof page.product.stock, "number");
    const name: string = page.product.name;
    const results = await call("SearchProducts", { query: name.split(" ").slice(-1)[0] });
    assert.ok(results.search.totalCount > 0);
    assert.ok(results.search.facets.categories.length > 0);
    const suggestions = await call("Autocomplete", { prefix: name.slice(0, 4) });
    assert.ok(suggestions.autocomplete.length > 0);
  });

  it("fills the cart, checks out, and follows the order to PAID live", async () => {
    const inStock = (await call("CategoryListing", { slug: "electronics", first: 20 })).products.edges.map((e: any) => e.node).find((p: any) => p.inStock);
    await call("AddToCart", { productId: inStock.id, quantity: 1 });
    const cart = await call("Cart");
    assert.equal(cart.cart.totalQuantity, 1);
    assert.equal(cart.cart.subtotal.amount, cart.cart.items[0].unitPrice.amount);
    const { shippingMethods } = await call("ShippingMethods", { countryCode: "US" });
    const address = { recipientName: "Journey Customer", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };
    const { checkout } = await call("Checkout", { idempotencyKey: "journey-1", shippingAddress: address, shippingMethodId: shippingMethods[0].id });
    assert.equal(checkout.status, "PENDING");

    const client = wsClient(sg.gatewayUrl, token);
    try {
      const pushed = await collectSubscription(client, op.OrderStatus!, { orderId: checkout.id }, (r) => r.at(-1)?.data?.orderStatusChanged?.status === "PAID", 15_000);
      assert.equal(pushed.at(-1)!.data!.orderStatusChanged.items[0].product.id, inStock.id, "the stream crosses subgraphs");
    } finally {
      await client.dispose();
    }
    await waitFor("the payment shows as SUCCEEDED", async () => (await call("OrderDetails", { id: checkout.id })).order.payment?.status === "SUCCEEDED");
    const mine = await call("MyOrders");
    assert.deepEqual(mine.orders.edges.map((e: any) => e.node.id), [checkout.id]);
    assert.equal((await call("Cart")).cart.totalQuantity, 0, "checkout emptied the cart");
  });
});
