import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import pg from "pg";
import { createSubgraphClient, INTERNAL_HEADER, issueGuestCartToken, signInternalCredential, loadConfig } from "#kernel";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, dataOf, restock, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { postGraphQL } from "../support/graphql-client.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

// Issue #13: guest carts. A shopper without an account keeps a cart by an anonymous cart token
// (X-Cart-Token), and logIn/signUp merge it into the customer's cart.

const P1 = "prod_0000003";
const P2 = "prod_0000004";
const CREATE = `mutation { createGuestCart { token cart { id totalQuantity items { quantity } } } }`;
const CART = `{ cart { id totalQuantity hasPriceChanges items { quantity product { id } unitPrice { amount } acceptedUnitPrice { amount } } } }`;
const ADD = `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { totalQuantity items { quantity product { id } } } }`;
const UPDATE = `mutation($productId: ID!, $quantity: Int!) { updateCartItem(productId: $productId, quantity: $quantity) { totalQuantity } }`;
const REMOVE = `mutation($productId: ID!) { removeFromCart(productId: $productId) { totalQuantity } }`;
const ACCEPT = `mutation { acceptCartPrices { hasPriceChanges } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
const LOG_IN = `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken user { id } } }`;

describeOnEngines("guest carts through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  before(async () => {
    // The racing log-ins derive their passwords side by side: in the password line's default one
    // at a time, the eighth's turn can come after the line's 5 s wait on a loaded machine, and
    // a log-in refused before its check races nothing.
    sg = await startCheckoutSupergraph({ engines, env: { RATE_LIMIT_AUTH_PER_MINUTE: "100000", PASSWORD_CHECKS_AT_ONCE: "8" } });
    await restock(sg, [P1, P2]);
  });
  after(() => sg?.close());

  /** Runs an operation as a guest: the cart token header, and an access token when given. */
  const as = (cartToken: string | undefined, query: string, variables: Record<string, unknown> = {}, accessToken?: string) =>
    postGraphQL(sg.gatewayUrl, query, variables, { token: accessToken, headers: cartToken === undefined ? {} : { "x-cart-token": cartToken } });
  const newGuest = async () => dataOf(await as(undefined, CREATE)).createGuestCart.token as string;
  const email = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.com`;
  const quantities = (cart: { items: { quantity: number; product: { id: string } }[] }) => new Map(cart.items.map((i) => [i.product.id, i.quantity]));

  it("lets a guest with a cart token use every cart operation, each token on its own cart", async () => {
    const created = dataOf(await as(undefined, CREATE)).createGuestCart;
    assert.match(created.token, /^gc1\./);
    assert.deepEqual(created.cart.items, []);
    const [a, b] = [created.token as string, await newGuest()];
    dataOf(await as(a, ADD, { productId: P1, quantity: 2 }));
    dataOf(await as(a, ADD, { productId: P2, quantity: 1 }));
    assert.equal(dataOf(await as(a, UPDATE, { productId: P1, quantity: 3 })).updateCartItem.totalQuantity, 4);
    assert.equal(dataOf(await as(a, REMOVE, { productId: P2 })).removeFromCart.totalQuantity, 3);
    assert.equal(dataOf(await as(a, ACCEPT)).acceptCartPrices.hasPriceChanges, false);
    const cartA = dataOf(await as(a, CART)).cart;
    assert.deepEqual(quantities(cartA), new Map([[P1, 3]]));
    assert.equal(cartA.id, created.cart.id, "the id createGuestCart announced");
    assert.ok(!cartA.id.includes(a.split(".")[1]), "the cart id reveals nothing of the token");
    assert.deepEqual(dataOf(await as(b, CART)).cart.items, [], "another guest's token sees its own, empty cart");
    const customer = await sg.token(`guest-peer-${randomUUID().slice(0, 8)}`);
    assert.deepEqual(dataOf(await as(a, CART, {}, customer)).cart.items, [], "a signed-in caller's cart is their own, whatever token they send");
  });

  it("answers a double-submitted createGuestCart with two separate carts and writes nothing until a line is added", async () => {
    const guestRows = async () => {
      const db = new pg.Client({ connectionString: sg.databaseUrl });
      await db.connect();
      try {
        return Number((await db.query(`SELECT count(*) FROM "Cart" WHERE "guest"`)).rows[0].count);
      } finally {
        await db.end();
      }
    };
    const before = await guestRows();
    const [a, b] = await Promise.all([newGuest(), newGuest()]);
    assert.notEqual(a, b);
    assert.equal(await guestRows(), before, "minting tokens costs the store nothing");
    dataOf(await as(a, ADD, { productId: P1, quantity: 1 }));
    assert.equal(await guestRows(), before + 1);
    assert.deepEqual(dataOf(await as(b, CART)).cart.items, []);
  });

  it("refuses forged, malformed and oversized tokens with BAD_USER_INPUT naming the header, before anything runs", async () => {
    const forged = issueGuestCartToken("not-this-store's-secret-0123456789");
    const valid = await newGuest();
    const [, random, mac] = valid.split(".");
    const cases: [string, string][] = [
      ["forged with another key", forged],
      ["random part changed", `gc1.${random!.slice(0, -2)}xx.${mac}`],
      ["malformed", "my-cart"],
      ["SQL", "gc1.' OR '1'='1.x"],
      ["oversized", `gc1.${"A".repeat(2_000)}`],
      ["two tokens", `${valid}, ${valid}`],
    ];
    for (const [name, token] of cases) {
      const response = await as(token, ADD, { productId: P1, quantity: 1 });
      assert.equal(response.status, 400, name);
      assert.equal(codeOf(response), "BAD_USER_INPUT", name);
      assert.equal(response.errors?.[0]?.extensions?.header, "X-Cart-Token", name);
      assert.equal(response.data, undefined, name);
    }
    assert.deepEqual(dataOf(await as(valid, CART)).cart.items, [], "no refused request wrote anything");
  });

  it("keeps checkout, orders and accounts for signed-in customers: a guest is UNAUTHENTICATED", async () => {
    const token = await newGuest();
    dataOf(await as(token, ADD, { productId: P1, quantity: 1 }));
    const checkout = await as(token, `mutation { checkout(idempotencyKey: "guest-${randomUUID()}", ${TEST_DESTINATION}) { id } }`);
    assert.equal(codeOf(checkout), "UNAUTHENTICATED", JSON.stringify(checkout.errors));
    assert.equal(codeOf(await as(token, `{ orders(first: 1) { edges { node { id } } } }`)), "UNAUTHENTICATED");
    assert.equal(dataOf(await as(token, `{ me { id } }`)).me, null);
    assert.equal(dataOf(await as(token, CART)).cart.totalQuantity, 1, "the cart is still there");
  });

  it("never lets a subgraph take a raw cart token: only the gateway's signed credential names a guest cart", async () => {
    const token = await newGuest();
    dataOf(await as(token, ADD, { productId: P1, quantity: 1 }));
    const cartUrl = sg.subgraphUrls.cart!;
    const direct = await postGraphQL(cartUrl, CART, {}, { headers: { "x-cart-token": token } });
    assert.equal(direct.status, 403);
    assert.equal(codeOf(direct), "FORBIDDEN");
    // Even with a valid credential, a raw token header names no cart.
    const secret = loadConfig({ APP_ENV: "test" }).auth.internalSecret;
    const signed = signInternalCredential(secret, { aud: "cart", requestId: "direct" });
    const withCredential = await postGraphQL(cartUrl, CART, {}, { headers: { "x-cart-token": token, [INTERNAL_HEADER]: signed } });
    assert.equal(codeOf(withCredential), "UNAUTHENTICATED");
  });

  it("keeps the merge internal: hidden from the gateway, service callers only, hostile ids refused", async () => {
    const viaGateway = await sg.query(`mutation { mergeGuestCart(guestCartId: "x", customerId: "y") { mergedUnits } }`);
    assert.equal(codeOf(viaGateway), "GRAPHQL_VALIDATION_FAILED");
    const secret = loadConfig({ APP_ENV: "test" }).auth.internalSecret;
    const merge = `mutation($g: ID!, $c: ID!) { mergeGuestCart(guestCartId: $g, customerId: $c) { mergedUnits droppedUnits } }`;
    const asCustomer = signInternalCredential(secret, { aud: "cart", requestId: "direct", identity: { userId: "mallory", roles: ["customer"] } });
    const refused = await postGraphQL(sg.subgraphUrls.cart!, merge, { g: "A".repeat(43), c: "mallory" }, { headers: { [INTERNAL_HEADER]: asCustomer } });
    assert.equal(codeOf(refused), "FORBIDDEN");
    const service = createSubgraphClient({ url: sg.subgraphUrls.cart!, audience: "cart", internalSecret: secret, serviceName: "accounts" });
    try {
      for (const [g, c] of [["../../etc", "c1"], ["A".repeat(44), "c1"], ["A".repeat(43), ""], ["A".repeat(43), `guest:${"A".repeat(43)}`], ["A".repeat(43), "x".repeat(201)]]) {
        await assert.rejects(service.request(merge, { g, c }), (error: any) => error.extensions?.code === "BAD_USER_INPUT", `${g} ${c}`);
      }
      assert.deepEqual((await service.request<any>(merge, { g: "A".repeat(43), c: "nobody" })).mergeGuestCart, { mergedUnits: 0, droppedUnits: 0 }, "an unknown guest cart merges nothing");
    } finally {
      await service.close();
    }
  });

  it("merges the guest cart at signUp and at logIn: quantities add up within the per-line limit, the guest cart is gone", async () => {
    const token = await newGuest();
    dataOf(await as(token, ADD, { productId: P1, quantity: 2 }));
    const password = "guest-password-123";
    const address = email("guest");
    const signedUp = dataOf(await as(token, SIGN_UP, { input: { email: address, password, name: "Guest" } })).signUp;
    assert.deepEqual(quantities(dataOf(await as(undefined, CART, {}, signedUp.accessToken)).cart), new Map([[P1, 2]]));
    assert.deepEqual(dataOf(await as(token, CART)).cart.items, [], "the guest cart was emptied by the merge");

    // Shopping again as a guest on another device, then logging in there.
    const second = await newGuest();
    dataOf(await as(second, ADD, { productId: P1, quantity: 9 }));
    dataOf(await as(second, ADD, { productId: P2, quantity: 1 }));
    const loggedIn = dataOf(await as(second, LOG_IN, { email: address, password })).logIn;
    assert.equal(loggedIn.user.id, signedUp.user.id);
    const merged = dataOf(await as(undefined, CART, {}, loggedIn.accessToken)).cart;
    assert.deepEqual(quantities(merged), new Map([[P1, 10], [P2, 1]]), "2 + 9 capped at the limit of 10 per line");
  });

  it("takes a guest from browsing to a paid order: add to cart, sign up, the cart merged, check out", async () => {
    const token = await newGuest();
    const browsed = dataOf(await as(token, `query($id: ID!) { product(id: $id) { id name price { amount } inStock } }`, { id: P2 })).product;
    assert.equal(browsed.inStock, true);
    dataOf(await as(token, ADD, { productId: P2, quantity: 2 }));
    dataOf(await as(token, ADD, { productId: P1, quantity: 1 }));
    const { accessToken } = dataOf(await as(token, SIGN_UP, { input: { email: email("journey"), password: "journey-password-123", name: "Journey" } })).signUp;
    const cart = dataOf(await as(undefined, CART, {}, accessToken)).cart;
    assert.deepEqual(quantities(cart), new Map([[P2, 2], [P1, 1]]));
    const order = dataOf(await as(undefined, `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id status items { quantity product { id } } } }`, { key: randomUUID() }, accessToken)).checkout;
    assert.deepEqual(new Map(order.items.map((i: { quantity: number; product: { id: string } }) => [i.product.id, i.quantity])), new Map([[P2, 2], [P1, 1]]));
    await waitForStatus(sg, accessToken, order.id, "PAID");
    assert.deepEqual(dataOf(await as(undefined, CART, {}, accessToken)).cart.items, [], "the order took the merged lines");
    assert.deepEqual(dataOf(await as(token, CART)).cart.items, [], "and the guest cart is gone");
  });

  it("lets a guest estimate totals and apply a coupon, which follows the cart into the new account and discounts its order", async () => {
    const admin = await sg.token("guest-coupon-admin", ["admin"]);
    const code = `GUEST${randomUUID().slice(0, 6).toUpperCase()}`;
    dataOf(await sg.query(`mutation($input: CreateCouponInput!) { createCoupon(input: $input) { id } }`, { input: { code, type: "PERCENTAGE", value: 1000 } }, admin));
    const token = await newGuest();
    dataOf(await as(token, ADD, { productId: P2, quantity: 2 }));
    assert.equal(dataOf(await as(token, `mutation($code: String!) { applyCoupon(code: $code) { couponCode } }`, { code })).applyCoupon.couponCode, code);
    const estimate = dataOf(await as(token, `{ cart { estimate(countryCode: "US", shippingMethodId: "shp_standard") { subtotal { amount } discountTotal { amount } total { amount } couponCode } } }`)).cart.estimate;
    assert.equal(estimate.couponCode, code);
    assert.equal(estimate.discountTotal.amount, Math.round(estimate.subtotal.amount / 10));
    const { accessToken } = dataOf(await as(token, SIGN_UP, { input: { email: email("coupon"), password: "coupon-password-123", name: "Coupon" } })).signUp;
    assert.equal(dataOf(await as(undefined, `{ cart { couponCode } }`, {}, accessToken)).cart.couponCode, code, "the guest's coupon came along");
    const order = dataOf(await as(undefined, `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { couponCode discountTotal { amount } } }`, { key: randomUUID() }, accessToken)).checkout;
    assert.deepEqual([order.couponCode, order.discountTotal.amount], [code, estimate.discountTotal.amount]);
  });

  it("adds a guest cart once when several logIns carry its token at the same time", async () => {
    const password = "race-password-123";
    const address = email("race");
    const { accessToken } = dataOf(await as(undefined, SIGN_UP, { input: { email: address, password, name: "Race" } })).signUp;
    const token = await newGuest();
    dataOf(await as(token, ADD, { productId: P2, quantity: 3 }));
    const sessions = await Promise.all(Array.from({ length: 8 }, () => as(token, LOG_IN, { email: address, password })));
    for (const session of sessions) dataOf(session);
    assert.deepEqual(quantities(dataOf(await as(undefined, CART, {}, accessToken)).cart), new Map([[P2, 3]]));
  });

  it("gives WebSocket no guest session: a cart token there names no cart and opens no order stream", async () => {
    const token = await newGuest();
    dataOf(await as(token, ADD, { productId: P1, quantity: 1 }));
    const client = createClient({
      url: sg.gatewayUrl.replace(/^http/, "ws"),
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { "x-cart-token": token } });
        }
      },
      connectionParams: { "x-cart-token": token, "X-Cart-Token": token, cartToken: token },
      retryAttempts: 0,
      lazy: true,
    });
    const run = (query: string, variables: Record<string, unknown> = {}) =>
      new Promise<any>((resolve, reject) => {
        let result: any;
        // A refused operation arrives as an `error` message: the errors, as a response would hold them.
        client.subscribe({ query, variables }, { next: (value) => (result ??= value), error: (errors) => (Array.isArray(errors) ? resolve({ errors }) : reject(errors)), complete: () => resolve(result) });
      });
    try {
      assert.equal(codeOf(await run(CART)), "UNAUTHENTICATED");
      const stream = await run(`subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status } }`, { id: "order-1" });
      assert.equal(codeOf(stream), "UNAUTHENTICATED");
    } finally {
      await client.dispose();
    }
  });
});

describe("guest carts and the anonymous budget", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "6" } });
  });
  after(() => sg?.close());

  it("charges guests to their client address like any anonymous caller: a new token buys no budget", async () => {
    const post = (query: string, cartToken?: string) => postGraphQL(sg.gatewayUrl, query, {}, { headers: cartToken ? { "x-cart-token": cartToken } : {} });
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) tokens.push(dataOf(await post(CREATE)).createGuestCart.token);
    for (const token of tokens) dataOf(await post(CART, token));
    const refused = await post(CART, issueGuestCartToken(loadConfig({ APP_ENV: "test" }).auth.internalSecret));
    assert.equal(refused.status, 429);
    assert.equal(codeOf(refused), "RATE_LIMITED");
  });
});
