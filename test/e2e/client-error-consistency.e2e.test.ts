// What a client app reads in an error is the same wherever it comes from, through the gateway
// and the typed client: every RATE_LIMITED message has one form whose figure is
// extensions.retryAfterSeconds (gateway budgets, the log-in throttle, the account-mail throttle,
// the live-subscription cap); OUT_OF_STOCK names the product the same way from the cart and
// from checkout; updateCartItem of a missing line names it as NOT_FOUND, while taking it out
// (removeFromCart, updateCartItem to 0) answers the cart alike; and a refused
// subscription token fails with the gateway's reason.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { waitFor } from "#kernel/testing";
import { readGoldenOperations } from "../../schema/golden-operations.js";
import { createStorefrontClient, OrderStatusDocument, StorefrontError } from "../../clients/typescript/src/index.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { postGraphQL, type GraphQLResponse } from "../support/graphql-client.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

const op = Object.fromEntries(readGoldenOperations().map(({ name, query }) => [name, query]));
const RATE_LIMITED_FORM = /^Too many (.+); retry in (\d+) s$/;
const ADDRESS = { recipientName: "Error Reader", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };

type Refusal = NonNullable<GraphQLResponse["errors"]>[number];

/** The first error of an answer, which must have the code. */
function refusal(answer: GraphQLResponse, code: string): Refusal {
  const error = answer.errors?.[0];
  assert.equal(error?.extensions?.code, code, JSON.stringify(answer.errors));
  return error!;
}

describe("errors a client reads are consistent", () => {
  let sg: TestSupergraph;
  let admin: string;

  before(async () => {
    sg = await startTestSupergraph({
      env: {
        RATE_LIMIT_SEARCH_PER_MINUTE: "2",
        RATE_LIMIT_VIEWS_PER_MINUTE: "2",
        RATE_LIMIT_AUTH_PER_MINUTE: "1000",
        LOGIN_FAILURES_PER_ACCOUNT: "2",
        ACCOUNT_MAIL_PER_ACCOUNT: "1",
        WS_MAX_SUBSCRIPTIONS_PER_USER: "1",
      },
    });
    admin = await sg.token("errors-admin", ["customer", "admin"]);
  });
  after(() => sg?.close());

  /** A product with `units` in stock; its id. */
  async function productWith(units: number): Promise<string> {
    const created = await sg.query(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`, {
      input: { sku: `ERR-${randomUUID().slice(0, 8)}`, name: "Scarce kettle", description: "Few of them", category: "home", brand: "Storefront", priceAmount: 3000 },
    }, admin);
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const id = created.data!.createProduct.id as string;
    const restocked = await sg.query(`mutation($v: ID!, $q: Int!) { restock(variantId: $v, quantity: $q, idempotencyKey: "${randomUUID()}") { available } }`, { v: id, q: units }, admin);
    assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));
    return id;
  }

  async function signUp(name: string): Promise<{ email: string; token: string; refreshToken: string }> {
    const email = `${name}.${randomUUID().slice(0, 8)}@example.com`;
    const answer = await postGraphQL(sg.gatewayUrl, op.SignUp!, { input: { email, password: "first password 1", name } });
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    return { email, token: answer.data!.signUp.accessToken, refreshToken: answer.data!.signUp.refreshToken };
  }

  it("every RATE_LIMITED answer says what ran out and when to retry in one form, the same figure as extensions.retryAfterSeconds", async () => {
    const refusals: Record<string, Refusal> = {};
    const refusedAfter = async (name: string, send: () => Promise<GraphQLResponse>) => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const answer = await send();
        if (answer.errors?.[0]?.extensions?.code === "RATE_LIMITED") return void (refusals[name] = answer.errors[0]!);
      }
      assert.fail(`${name} was never RATE_LIMITED`);
    };
    const customer = await signUp("limits");

    await refusedAfter("search budget (gateway)", () => postGraphQL(sg.gatewayUrl, op.SearchProducts!, { query: "kettle" }));
    await refusedAfter("views budget (gateway)", () => postGraphQL(sg.gatewayUrl, op.RecordProductView!, { productId: "prod_0000001" }));
    await refusedAfter("log-in throttle (accounts)", () => postGraphQL(sg.gatewayUrl, op.LogIn!, { email: customer.email, password: "not the password" }));
    await refusedAfter("account mail throttle (accounts)", () => postGraphQL(sg.gatewayUrl, op.RequestPasswordReset!, { email: customer.email }));

    // The live-subscription cap, as the typed client surfaces it.
    const productId = await productWith(5);
    await postGraphQL(sg.gatewayUrl, op.AddToCart!, { productId, quantity: 1 }, { token: customer.token });
    const methods = await postGraphQL(sg.gatewayUrl, op.ShippingMethods!, { countryCode: "US" });
    const placed = await postGraphQL(sg.gatewayUrl, op.Checkout!, { idempotencyKey: randomUUID(), shippingAddress: ADDRESS, shippingMethodId: methods.data!.shippingMethods[0].id }, { token: customer.token });
    assert.equal(placed.errors, undefined, JSON.stringify(placed.errors));
    const client = createStorefrontClient({ url: sg.gatewayUrl, session: { accessToken: customer.token, refreshToken: customer.refreshToken }, subscriptions: { webSocketImpl: WebSocket } });
    try {
      let first = 0;
      const stopFirst = client.subscribe(OrderStatusDocument, { orderId: placed.data!.checkout.id }, { next: () => void first++ });
      await waitFor("the first subscription is live", () => first > 0, { timeoutMs: 10_000 });
      const capped = await new Promise<StorefrontError>((resolve) => client.subscribe(OrderStatusDocument, { orderId: placed.data!.checkout.id }, { next: () => undefined, error: resolve }));
      stopFirst();
      assert.equal(capped.code, "RATE_LIMITED");
      refusals["live subscriptions (gateway WebSocket, typed client)"] = { message: capped.message, extensions: capped.details.extensions };
    } finally {
      await client.dispose();
    }

    for (const [source, { message, extensions }] of Object.entries(refusals)) {
      const form = RATE_LIMITED_FORM.exec(message);
      assert.ok(form, `${source}: "${message}" is not in the one form`);
      const retryAfterSeconds = extensions?.retryAfterSeconds;
      assert.ok(Number.isInteger(retryAfterSeconds) && retryAfterSeconds > 0, `${source}: retryAfterSeconds ${retryAfterSeconds}`);
      assert.equal(Number(form[2]), retryAfterSeconds, `${source}: the message and extensions.retryAfterSeconds agree`);
    }
    assert.equal(Object.keys(refusals).length, 5);
  });

  it("OUT_OF_STOCK names the product the same way when the cart finds it out and when checkout does", async () => {
    const productId = await productWith(1);
    const [late, early] = [await signUp("late"), await signUp("early")];
    const fromCart = refusal(await postGraphQL(sg.gatewayUrl, op.AddToCart!, { productId, quantity: 2 }, { token: late.token }), "OUT_OF_STOCK");

    // Both carts hold the last unit; the first checkout takes it, the second finds it gone.
    for (const buyer of [late, early]) assert.equal((await postGraphQL(sg.gatewayUrl, op.AddToCart!, { productId, quantity: 1 }, { token: buyer.token })).errors, undefined);
    const methods = await postGraphQL(sg.gatewayUrl, op.ShippingMethods!, { countryCode: "US" });
    const checkout = (token: string) => postGraphQL(sg.gatewayUrl, op.Checkout!, { idempotencyKey: randomUUID(), shippingAddress: ADDRESS, shippingMethodId: methods.data!.shippingMethods[0].id }, { token });
    assert.equal((await checkout(early.token)).errors, undefined);
    const fromCheckout = refusal(await checkout(late.token), "OUT_OF_STOCK");

    for (const [where, error] of [["cart", fromCart], ["checkout", fromCheckout]] as const) {
      assert.match(error.message, new RegExp(`\\b[Pp]roduct ${productId}\\b`), `${where}: ${error.message}`);
      assert.equal(error.extensions?.productId, productId, where);
      assert.equal(error.extensions?.variantId, productId, `${where}: the default variant is the product`);
      assert.equal(typeof error.extensions?.available, "number", where);
    }
    assert.equal(fromCart.message, "Only 1 unit(s) of product " + productId + " are available");
    assert.equal(fromCheckout.message, `Product ${productId} is out of stock`);
  });

  it("a sold-out checkout is refused alike over HTTP and over the WebSocket, by the inventory and by the sold-out memo", async () => {
    const productId = await productWith(1);
    const buyers = await Promise.all(["winner", "first-loser", "socket-loser", "http-loser"].map((name) => signUp(name)));
    for (const buyer of buyers) assert.equal((await postGraphQL(sg.gatewayUrl, op.AddToCart!, { productId, quantity: 1 }, { token: buyer.token })).errors, undefined);
    const methods = await postGraphQL(sg.gatewayUrl, op.ShippingMethods!, { countryCode: "US" });
    const variables = () => ({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS, shippingMethodId: methods.data!.shippingMethods[0].id });
    const overHttp = (token: string) => postGraphQL(sg.gatewayUrl, op.Checkout!, variables(), { token });
    const [winner, firstLoser, socketLoser, httpLoser] = buyers as [(typeof buyers)[number], (typeof buyers)[number], (typeof buyers)[number], (typeof buyers)[number]];
    assert.equal((await overHttp(winner.token)).errors, undefined);
    const fromInventory = refusal(await overHttp(firstLoser.token), "OUT_OF_STOCK");

    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, socketLoser.token);
    try {
      socket.subscribe("checkout", { query: op.Checkout!, variables: variables() });
      const { next, error } = await socket.result("checkout");
      assert.equal(error, undefined, JSON.stringify(error));
      const fromSocket = refusal(next[0]!.payload as GraphQLResponse, "OUT_OF_STOCK");
      const fromHttp = refusal(await overHttp(httpLoser.token), "OUT_OF_STOCK");
      for (const other of [fromSocket, fromHttp]) {
        assert.equal(other.message, fromInventory.message);
        assert.deepEqual(other.extensions, fromInventory.extensions);
      }
    } finally {
      socket.close();
    }
    const orders = await Promise.all([socketLoser, httpLoser].map((buyer) => postGraphQL(sg.gatewayUrl, op.MyOrders!, {}, { token: buyer.token })));
    for (const answer of orders) assert.equal(answer.data?.orders.totalCount, 0, JSON.stringify(answer));
  });

  it("an order read without a sign-in is UNAUTHENTICATED, as the order list and the order's subscription are, not null as for an order that does not exist", async () => {
    const customer = await signUp("reader");
    const productId = await productWith(2);
    assert.equal((await postGraphQL(sg.gatewayUrl, op.AddToCart!, { productId, quantity: 1 }, { token: customer.token })).errors, undefined);
    const placed = await postGraphQL(sg.gatewayUrl, op.Checkout!, { idempotencyKey: randomUUID(), shippingAddress: ADDRESS, shippingMethodId: "shp_standard" }, { token: customer.token });
    assert.equal(placed.errors, undefined, JSON.stringify(placed.errors));
    const id = placed.data!.checkout.id as string;
    for (const name of ["OrderDetails", "OrderAfterSale"]) {
      const anonymous = refusal(await postGraphQL(sg.gatewayUrl, op[name]!, { id }), "UNAUTHENTICATED");
      assert.match(anonymous.message, /[Ss]ign in/, name);
      assert.equal(refusal(await postGraphQL(sg.gatewayUrl, op[name]!, { id: "ord_missing" }), "UNAUTHENTICATED").message, anonymous.message, "an id that names nothing is answered alike");
    }
    refusal(await postGraphQL(sg.gatewayUrl, op.MyOrders!, {}), "UNAUTHENTICATED");
    const own = await postGraphQL(sg.gatewayUrl, op.OrderDetails!, { id }, { token: customer.token });
    assert.equal(own.data?.order?.id, id, JSON.stringify(own.errors));
    const stranger = await signUp("stranger");
    const other = await postGraphQL(sg.gatewayUrl, op.OrderDetails!, { id }, { token: stranger.token });
    assert.deepEqual([other.errors, other.data?.order], [undefined, null], "another customer's order still reads as a missing one");
  });

  it("removeFromCart and updateCartItem to 0 answer a line the cart does not hold with the cart, alike; updateCartItem to a quantity is NOT_FOUND naming it", async () => {
    const customer = await signUp("lines");
    const productId = await productWith(3);
    assert.equal((await postGraphQL(sg.gatewayUrl, op.AddToCart!, { productId: "prod_0000002", quantity: 1 }, { token: customer.token })).errors, undefined);
    const removed = await postGraphQL(sg.gatewayUrl, op.RemoveFromCart!, { productId }, { token: customer.token });
    const zeroed = await postGraphQL(sg.gatewayUrl, op.UpdateCartItem!, { productId, quantity: 0 }, { token: customer.token });
    assert.deepEqual([removed.errors, zeroed.errors], [undefined, undefined], JSON.stringify([removed.errors, zeroed.errors]));
    assert.equal(removed.data?.removeFromCart.totalQuantity, 1);
    assert.equal(zeroed.data?.updateCartItem.totalQuantity, 1);
    const updated = refusal(await postGraphQL(sg.gatewayUrl, op.UpdateCartItem!, { productId, quantity: 1 }, { token: customer.token }), "NOT_FOUND");
    assert.match(updated.message, new RegExp(productId));
  });

  it("a subscription whose token the gateway refuses fails at once in the typed client, carrying the gateway's reason", async () => {
    // A token within its lifetime whose signature does not hold (the client cannot tell; the gateway can).
    const valid = await sg.token("forged-follower");
    const forged = `${valid.slice(0, valid.lastIndexOf(".") + 1)}${"A".repeat(43)}`;
    const client = createStorefrontClient({ url: sg.gatewayUrl, session: { accessToken: forged, refreshToken: "spent" }, subscriptions: { webSocketImpl: WebSocket, retryAttempts: 0 } });
    try {
      const failure = await new Promise<StorefrontError>((resolve) => client.subscribe(OrderStatusDocument, { orderId: "ord_any" }, { next: () => undefined, error: resolve }));
      assert.equal(failure.code, "UNAUTHENTICATED", failure.message);
      assert.equal(failure.details.extensions?.closeCode, 4403);
      const reason = failure.details.extensions?.closeReason;
      assert.equal(typeof reason, "string");
      assert.ok((reason as string).length > 10, `a reason, not just a code: "${reason}"`);
      assert.ok(failure.message.includes(reason as string), failure.message);
    } finally {
      await client.dispose();
    }
  });
});
