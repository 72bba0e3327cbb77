// Text no store can hold (NUL, unpaired surrogates) and control characters in an email, sent
// through the gateway and straight to the subgraphs running in this process: each is refused
// with BAD_USER_INPUT, the answer says nothing about the server, and nothing is stored. The
// gateway's own edge checks are proven in attack-catalogue.e2e.test.ts; the subgraph half
// here is the defence that holds when a request reaches a subgraph some other way.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { INTERNAL_HEADER, loadConfig, signInternalCredential, type Identity } from "#kernel";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import type { GraphQLResponse } from "../support/graphql-client.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

const PRODUCT = "prod_0000001";
const ADD_TO_CART = `mutation ($id: ID!) { addToCart(productId: $id, quantity: 1) { totalQuantity } }`;
const CHECKOUT = `mutation ($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id } }`;
const ORDER = `query ($id: ID!) { order(id: $id) { id status } }`;
const CANCEL = `mutation ($id: ID!) { cancelOrder(id: $id) { id status } }`;
const SIGN_UP = `mutation ($email: String!, $name: String!) { signUp(input: { email: $email, password: "password-123", name: $name }) { user { id } } }`;
const LOG_IN = `mutation ($email: String!) { logIn(email: $email, password: "password-123") { user { id } } }`;
const CART = `{ cart { totalQuantity items { product { id } } } }`;
const ORDERS = `{ orders(first: 10) { totalCount } }`;

/** Whatever a response says, it must not describe the server. */
function assertRefusedWithoutInternals(response: GraphQLResponse, what: string) {
  const errors = JSON.stringify(response.errors);
  assert.equal(response.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", `${what}: ${errors}`);
  for (const leak of [process.cwd(), "/src/", ".ts:", "prisma", "Database error", "invalid byte sequence", "SELECT", "INSERT", "stacktrace", "\n    at "]) {
    assert.ok(!errors.includes(leak), `${what}: the answer leaks ${JSON.stringify(leak)}: ${errors}`);
  }
}

describe("hostile text input, through the gateway and at each subgraph", { timeout: 120_000 }, () => {
  let sg: TestSupergraph;
  const internalSecret = loadConfig({ APP_ENV: "test" }).auth.internalSecret;
  before(async () => {
    sg = await startTestSupergraph();
    const admin = await sg.token("hostile-text-admin", ["admin"]);
    const restocked = await sg.query(`mutation ($id: ID!) { restock(productId: $id, quantity: 100, idempotencyKey: "${randomUUID()}") { available } }`, { id: PRODUCT }, admin);
    assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));
  });
  after(() => sg?.close());

  /** A new customer, with their token for the gateway and their identity for a subgraph. */
  async function customer() {
    const identity: Identity = { userId: `hostile-${randomUUID().slice(0, 8)}`, roles: ["customer"] };
    const token = await sg.token(identity.userId);
    return {
      identity,
      viaGateway: (query: string, variables: Record<string, unknown> = {}) => sg.query(query, variables, token),
      /** Straight to a subgraph of this process, signed as the gateway signs. */
      viaSubgraph: async (subgraph: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> => {
        const response = await fetch(sg.subgraphUrls[subgraph]!, {
          method: "POST",
          headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(internalSecret, { aud: subgraph, requestId: randomUUID(), identity }) },
          body: JSON.stringify({ query, variables }),
        });
        return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
      },
      cart: async () => (await sg.query(CART, {}, token)).data?.cart,
      orderCount: async () => (await sg.query(ORDERS, {}, token)).data?.orders.totalCount,
    };
  }

  it("refuses a NUL byte in an id, stores nothing and changes no order", async () => {
    const c = await customer();
    for (const id of [`${PRODUCT}\u0000`, `\u0000`, `ord_\u0000' OR 1=1 --`]) {
      assertRefusedWithoutInternals(await c.viaGateway(ADD_TO_CART, { id }), "addToCart at the gateway");
      assertRefusedWithoutInternals(await c.viaSubgraph("cart", ADD_TO_CART, { id }), "addToCart at the cart subgraph");
      assertRefusedWithoutInternals(await c.viaGateway(ORDER, { id }), "order at the gateway");
      assertRefusedWithoutInternals(await c.viaSubgraph("orders", ORDER, { id }), "order at the orders subgraph");
      assertRefusedWithoutInternals(await c.viaSubgraph("orders", CANCEL, { id }), "cancelOrder at the orders subgraph");
      assertRefusedWithoutInternals(await c.viaSubgraph("inventory", `{ _entities(representations: [{ __typename: "Product", id: ${JSON.stringify(id)} }]) { ... on Product { stock } } }`), "a stock lookup at the inventory subgraph");
    }
    assert.deepEqual(await c.cart(), { totalQuantity: 0, items: [] });
    assert.equal(await c.orderCount(), 0);
  });

  it("refuses a NUL byte in an idempotency key: no order, and the cart keeps its items", async () => {
    const c = await customer();
    assert.equal((await c.viaGateway(ADD_TO_CART, { id: PRODUCT })).data?.addToCart.totalQuantity, 1);
    for (const key of ["checkout-\u0000", "\u0000", "\u0000\u0000\u0000"]) {
      assertRefusedWithoutInternals(await c.viaGateway(CHECKOUT, { key }), "checkout at the gateway");
      assertRefusedWithoutInternals(await c.viaSubgraph("orders", CHECKOUT, { key }), "checkout at the orders subgraph");
      assertRefusedWithoutInternals(await c.viaSubgraph("orders", `mutation { checkout(idempotencyKey: ${JSON.stringify(key)}, ${TEST_DESTINATION}) { id } }`), "checkout with a literal key at the orders subgraph");
    }
    assert.equal(await c.orderCount(), 0);
    assert.deepEqual(await c.cart(), { totalQuantity: 1, items: [{ product: { id: PRODUCT } }] });
  });

  it("refuses an email holding NUL or another control character, and creates no account", async () => {
    const c = await customer();
    for (const email of ["nul\u0000@example.com", `hostile-${randomUUID().slice(0, 6)}\u0000@example.com`]) {
      assertRefusedWithoutInternals(await c.viaGateway(SIGN_UP, { email, name: "Mallory" }), "signUp at the gateway");
      assertRefusedWithoutInternals(await c.viaSubgraph("accounts", SIGN_UP, { email, name: "Mallory" }), "signUp at the accounts subgraph");
    }
    // Storable but not an address: the accounts domain refuses it, and logging in proves nothing was kept.
    for (const email of ["bell\u0007@example.com", "esc\u001b[31m@example.com", "line\r\nBcc: x@example.com"]) {
      assertRefusedWithoutInternals(await c.viaGateway(SIGN_UP, { email, name: "Mallory" }), "signUp at the gateway");
      assertRefusedWithoutInternals(await c.viaSubgraph("accounts", SIGN_UP, { email, name: "Mallory" }), "signUp at the accounts subgraph");
      // No account can have such an address: log-in refuses it as input, as sign-up does.
      assertRefusedWithoutInternals(await c.viaGateway(LOG_IN, { email }), "logIn at the gateway");
    }
  });

  it("refuses an unpaired surrogate in an id and in a name, and stores nothing", async () => {
    const c = await customer();
    for (const id of [`${PRODUCT}\uD800`, `\uDC00${PRODUCT}`, `\uDE00\uD83D`]) {
      assertRefusedWithoutInternals(await c.viaGateway(ADD_TO_CART, { id }), "addToCart at the gateway");
      assertRefusedWithoutInternals(await c.viaSubgraph("cart", ADD_TO_CART, { id }), "addToCart at the cart subgraph");
      assertRefusedWithoutInternals(await c.viaSubgraph("orders", ORDER, { id }), "order at the orders subgraph");
    }
    const email = `surrogate-${randomUUID().slice(0, 6)}@example.com`;
    assertRefusedWithoutInternals(await c.viaGateway(SIGN_UP, { email, name: "Half \uD83D" }), "signUp at the gateway");
    assertRefusedWithoutInternals(await c.viaSubgraph("accounts", SIGN_UP, { email, name: "Half \uD83D" }), "signUp at the accounts subgraph");
    assert.equal((await c.viaGateway(LOG_IN, { email })).errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    assert.deepEqual(await c.cart(), { totalQuantity: 0, items: [] });
    // A well-formed pair is ordinary text.
    assert.equal((await c.viaGateway(SIGN_UP, { email, name: "Whole 🚀" })).errors, undefined);
  });
});
