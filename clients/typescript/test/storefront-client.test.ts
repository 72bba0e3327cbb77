// The typed client against the real gateway in this process, configured as production would
// be: only the persisted golden operations are accepted.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { waitFor } from "../../../kernel/src/testing/wait-for.js";
import { PERSISTED_MANIFEST_PATH } from "../../../schema/golden-operations.js";
import { startTestSupergraph, type TestSupergraph } from "../../../test/support/start-test-supergraph.js";
import {
  AcceptCartPricesDocument,
  AddAddressDocument,
  AddToCartDocument,
  CartDocument,
  CheckoutDocument,
  CreateCouponDocument,
  CreateShippingMethodDocument,
  DeliverOrderDocument,
  RefundOrderDocument,
  RemoveFromCartDocument,
  UpdateCartItemDocument,
  OrderAfterSaleDocument,
  MeDocument,
  MyOrdersDocument,
  OrderStatusDocument,
  ProductPageDocument,
  ShipOrderDocument,
  ShippingMethodsDocument,
  SignUpDocument,
  createStorefrontClient,
  StorefrontError,
  type OrderStatusSubscription,
  type Session,
  type StorefrontClientOptions,
} from "../src/index.js";

// A US address and the demo store's free standard shipping: the totals are not the point here.
const DESTINATION = {
  shippingAddress: { recipientName: "Client Test", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" },
  shippingMethodId: "shp_standard",
};

let supergraph: TestSupergraph;
const clients: { dispose(): Promise<void> }[] = [];

function client(options: Partial<StorefrontClientOptions> = {}) {
  const made = createStorefrontClient({ url: supergraph.gatewayUrl, subscriptions: { webSocketImpl: WebSocket, retryBaseDelayMs: 50 }, ...options });
  clients.push(made);
  return made;
}

let customers = 0;
async function signedUpClient(options: Partial<StorefrontClientOptions> = {}) {
  const shopper = client(options);
  const { signUp } = await shopper.request(SignUpDocument, {
    input: { email: `client-${++customers}@example.com`, password: "correct horse battery staple", name: "Client" },
  });
  shopper.setSession({ accessToken: signUp.accessToken, refreshToken: signUp.refreshToken });
  return shopper;
}

/** Counts the operations a client sent, and can lose the answer of one, as a dropped connection would. */
function recordingFetch(loseAnswerOf?: string) {
  const sent: { operationName: string; variables: Record<string, unknown>; query?: string }[] = [];
  let lost = false;
  const fetchImpl: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body)) as (typeof sent)[number];
    sent.push(body);
    const response = await fetch(input, init);
    if (!lost && body.operationName === loseAnswerOf) {
      lost = true;
      await response.arrayBuffer();
      throw new TypeError("fetch failed");
    }
    return response;
  };
  return { sent, fetchImpl };
}

before(async () => {
  // Each test signs its own customer up, more than the default sign-ups a minute of one network.
  supergraph = await startTestSupergraph({ env: { PERSISTED_OPERATIONS_PATH: PERSISTED_MANIFEST_PATH, PERSISTED_OPERATIONS_ONLY: "true", RATE_LIMIT_AUTH_PER_MINUTE: "1000" } });
});
after(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await supergraph.close();
});

describe("typed calls", () => {
  test("golden operations go through a gateway that accepts only persisted operations, typed end to end", async () => {
    const shopper = await signedUpClient();
    const { addToCart } = await shopper.request(AddToCartDocument, { productId: "prod_0000003", quantity: 2 });
    assert.equal(addToCart.totalQuantity, 2);
    const { cart } = await shopper.request(CartDocument);
    assert.equal(cart.items[0]?.product.id, "prod_0000003");
    assert.equal(Number.isInteger(cart.subtotal.amount), true, "money comes in integer minor units");
  });

  test("with hashOnly a golden operation is sent as its persisted id alone", async () => {
    const { sent, fetchImpl } = recordingFetch();
    const shopper = client({ hashOnly: true, fetch: fetchImpl });
    const { product } = await shopper.request(ProductPageDocument, { id: "prod_0000001" });
    assert.equal(product?.id, "prod_0000001");
    assert.equal(sent[0]?.query, undefined);
  });

  test("a refusal rejects with the gateway's error code", async () => {
    const shopper = client();
    await assert.rejects(shopper.request(AddToCartDocument, { productId: "prod_0000003", quantity: 1 }), (error: unknown) => {
      assert.ok(error instanceof StorefrontError);
      assert.equal(error.code, "UNAUTHENTICATED");
      assert.equal(error.details.operationName, "AddToCart");
      return true;
    });
  });
});

describe("session renewal", () => {
  test("a refused access token is renewed with the refresh token once, and the call goes through", async () => {
    const signedUp = await signedUpClient();
    const sessions: (Session | undefined)[] = [];
    const { sent, fetchImpl } = recordingFetch();
    const shopper = client({
      session: { accessToken: "expired.or.revoked", refreshToken: signedUp.session!.refreshToken },
      onSessionChange: (session) => sessions.push(session),
      fetch: fetchImpl,
    });
    const [first, second] = await Promise.all([shopper.request(MeDocument), shopper.request(CartDocument)]);
    assert.match(first.me?.email ?? "", /^client-\d+@example\.com$/);
    assert.equal(second.cart.totalQuantity, 0);
    assert.equal(sent.filter((s) => s.operationName === "RefreshSession").length, 1, "calls failing together share one refresh");
    assert.equal(sessions.length, 1);
    assert.notEqual(sessions[0]?.accessToken, "expired.or.revoked");
  });

  test("a renewal whose answer was lost is sent again with the same refresh token, and the session goes on with the successor", async () => {
    const signedUp = await signedUpClient();
    const sessions: (Session | undefined)[] = [];
    const { sent, fetchImpl } = recordingFetch("RefreshSession");
    const shopper = client({ session: { accessToken: "expired.or.revoked", refreshToken: signedUp.session!.refreshToken }, onSessionChange: (s) => sessions.push(s), fetch: fetchImpl });
    const { me } = await shopper.request(MeDocument);
    assert.match(me?.email ?? "", /^client-\d+@example\.com$/);
    const refreshes = sent.filter((s) => s.operationName === "RefreshSession").map((s) => s.variables.refreshToken);
    assert.deepEqual(refreshes, [signedUp.session!.refreshToken, signedUp.session!.refreshToken], "sent again with the same token");
    assert.equal(sessions.length, 1);
    assert.notEqual(sessions[0], undefined, "the session goes on");
    // The successor is the family's live token: it renews again, the session not ended as a reuse.
    const later = client({ session: { accessToken: "expired.or.revoked", refreshToken: sessions[0]!.refreshToken } });
    assert.ok((await later.request(MeDocument)).me?.id);
  });

  test("a renewal that cannot get through keeps the session, which renews once the gateway answers", async () => {
    const signedUp = await signedUpClient();
    const sessions: (Session | undefined)[] = [];
    let down = true;
    const fetchImpl: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body)) as { operationName?: string };
      if (down && body.operationName === "RefreshSession") throw new TypeError("fetch failed");
      return fetch(input, init);
    };
    const shopper = client({ session: { accessToken: "expired.or.revoked", refreshToken: signedUp.session!.refreshToken }, onSessionChange: (s) => sessions.push(s), fetch: fetchImpl, retry: { maxAttempts: 2, baseDelayMs: 10 } });
    await assert.rejects(shopper.request(MeDocument));
    assert.deepEqual(sessions, [], "the session is kept");
    assert.equal(shopper.session?.refreshToken, signedUp.session!.refreshToken);
    down = false;
    assert.ok((await shopper.request(MeDocument)).me?.id, "renewed once the gateway answers");
  });

  test("a refresh token that no longer works ends the session and surfaces UNAUTHENTICATED", async () => {
    const sessions: (Session | undefined)[] = [];
    const shopper = client({ session: { accessToken: "expired.or.revoked", refreshToken: "spent" }, onSessionChange: (s) => sessions.push(s) });
    await assert.rejects(shopper.request(CartDocument), (error: StorefrontError) => error.code === "UNAUTHENTICATED");
    assert.deepEqual(sessions, [undefined]);
  });
});

describe("signing up", () => {
  test("signUp whose answer was lost is sent again and signs in the account the first try made, not CONFLICT", async () => {
    const { sent, fetchImpl } = recordingFetch("SignUp");
    const shopper = client({ fetch: fetchImpl });
    const input = { email: `client-lost-sign-up-${++customers}@example.com`, password: "correct horse battery staple", name: "Client" };
    const { signUp } = await shopper.request(SignUpDocument, { input });
    assert.equal(sent.filter((s) => s.operationName === "SignUp").length, 2, "sent again");
    shopper.setSession({ accessToken: signUp.accessToken, refreshToken: signUp.refreshToken });
    const { me } = await shopper.request(MeDocument);
    assert.equal(me?.id, signUp.user.id);
    assert.equal(me?.email, input.email);
  });
});

describe("signing out", () => {
  test("logOut ends the session on the server and forgets it here: neither its access nor its refresh token works afterwards", async () => {
    const shopper = await signedUpClient();
    const ended = shopper.session!;
    const sessions: (Session | undefined)[] = [];
    const watched = client({ session: ended, onSessionChange: (session) => sessions.push(session) });
    assert.equal(await watched.logOut(), true);
    assert.deepEqual(sessions, [undefined]);
    assert.equal(watched.session, undefined);

    // The same tokens, kept by another copy of the page: refused, and not renewed.
    const copy = client({ session: ended });
    await assert.rejects(copy.request(MeDocument), (error: StorefrontError) => error.code === "UNAUTHENTICATED");
    assert.equal(copy.session, undefined, "the ended refresh token renewed nothing");
  });

  test("logOut whose answer was lost is sent again with the same refresh token, and resolves true with the session ended", async () => {
    const signedUp = await signedUpClient();
    const ended = signedUp.session!;
    const { sent, fetchImpl } = recordingFetch("LogOut");
    const shopper = client({ session: ended, fetch: fetchImpl });
    assert.equal(await shopper.logOut(), true, "told the session ended, as the lost answer said");
    assert.deepEqual(sent.filter((s) => s.operationName === "LogOut").map((s) => s.variables.refreshToken), [ended.refreshToken, ended.refreshToken]);
    assert.equal(shopper.session, undefined);
    const copy = client({ session: ended });
    await assert.rejects(copy.request(MeDocument), (error: StorefrontError) => error.code === "UNAUTHENTICATED");
  });

  test("logOut forgets the session even when the gateway cannot be reached", async () => {
    const signedUp = await signedUpClient();
    const offline: typeof fetch = async () => {
      throw new TypeError("fetch failed");
    };
    const shopper = client({ session: signedUp.session, fetch: offline, retry: { maxAttempts: 1 } });
    assert.equal(await shopper.logOut(), false);
    assert.equal(shopper.session, undefined);
  });
});

describe("retries", () => {
  test("checkout whose answer was lost is sent again with the same idempotency key and makes one order", async () => {
    const signedUp = await signedUpClient();
    const { sent, fetchImpl } = recordingFetch("Checkout");
    const shopper = client({ session: signedUp.session, fetch: fetchImpl });
    await shopper.request(AddToCartDocument, { productId: "prod_0000004", quantity: 1 });
    const { checkout } = await shopper.request(CheckoutDocument, { idempotencyKey: "lost-answer-1", ...DESTINATION });
    const attempts = sent.filter((s) => s.operationName === "Checkout");
    assert.equal(attempts.length, 2);
    assert.deepEqual(attempts.map((a) => a.variables.idempotencyKey), ["lost-answer-1", "lost-answer-1"]);
    const { orders } = await shopper.request(MyOrdersDocument);
    assert.equal(orders.totalCount, 1);
    assert.equal(orders.edges[0]?.node.id, checkout.id);
  });

  test("a shipping method (under its key), a coupon and an address whose answers were lost are sent again and each exists once", async () => {
    const admin = { accessToken: await supergraph.token("client-creates-admin", ["customer", "admin"]), refreshToken: "none" };
    const method = recordingFetch("CreateShippingMethod");
    const input = { name: "Lost answer express", price: 1999, currency: "USD", countries: ["NZ"], minDeliveryDays: 1, maxDeliveryDays: 2 };
    const { createShippingMethod } = await client({ session: admin, fetch: method.fetchImpl }).request(CreateShippingMethodDocument, { input, idempotencyKey: "lost-method-1" });
    assert.deepEqual(method.sent.filter((s) => s.operationName === "CreateShippingMethod").map((s) => s.variables.idempotencyKey), ["lost-method-1", "lost-method-1"]);
    const { shippingMethods } = await client().request(ShippingMethodsDocument, { countryCode: "NZ" });
    assert.deepEqual(shippingMethods.map((m) => m.id), [createShippingMethod.id], "one method");

    const coupon = recordingFetch("CreateCoupon");
    const { createCoupon } = await client({ session: admin, fetch: coupon.fetchImpl }).request(CreateCouponDocument, { input: { code: "LOSTANSWER5", type: "PERCENTAGE", value: 500, usageLimit: 10 } });
    assert.equal(coupon.sent.filter((s) => s.operationName === "CreateCoupon").length, 2, "sent again");
    assert.equal(createCoupon.code, "LOSTANSWER5", "answered the coupon the first try made, not CONFLICT");

    const shopper = await signedUpClient();
    const address = recordingFetch("AddAddress");
    const home = { recipientName: "Lost Answer", line1: "2 Retry Road", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };
    const { addAddress } = await client({ session: shopper.session, fetch: address.fetchImpl }).request(AddAddressDocument, { input: home });
    assert.equal(address.sent.filter((s) => s.operationName === "AddAddress").length, 2, "sent again");
    const { me } = await shopper.request(MeDocument);
    assert.deepEqual(me?.addresses.map((a) => a.id), [addAddress.id], "one address");
  });

  test("an admin's refund whose answer was lost is sent again with the same idempotency key and gives money back once", async () => {
    const shopper = await signedUpClient();
    await shopper.request(AddToCartDocument, { productId: "prod_0000006", quantity: 1 });
    const { checkout } = await shopper.request(CheckoutDocument, { idempotencyKey: "refund-lost-answer", ...DESTINATION });
    await waitFor("the order is PAID", async () => (await shopper.request(OrderAfterSaleDocument, { id: checkout.id })).order?.status === "PAID", { timeoutMs: 20_000 });
    const { sent, fetchImpl } = recordingFetch("RefundOrder");
    const backOffice = client({ session: { accessToken: await supergraph.token("client-refunds-admin", ["customer", "admin"]), refreshToken: "none" }, fetch: fetchImpl });
    const { refundOrder } = await backOffice.request(RefundOrderDocument, { id: checkout.id, amount: 100, reason: "Scratched box", idempotencyKey: "goodwill-1" });
    const attempts = sent.filter((s) => s.operationName === "RefundOrder");
    assert.deepEqual(attempts.map((a) => a.variables.idempotencyKey), ["goodwill-1", "goodwill-1"]);
    const { order } = await shopper.request(OrderAfterSaleDocument, { id: checkout.id });
    assert.deepEqual(order?.refunds.map((refund) => refund.id), [refundOrder.id], "one refund");
    assert.equal(order?.refundedTotal.amount, 100);
  });

  test("a checkout refused OVERLOADED is sent again after the hint, with the same key, and makes one order; addToCart refused so is not", async () => {
    const signedUp = await signedUpClient();
    const sent: { operationName: string; variables: Record<string, unknown>; at: number }[] = [];
    const refuseFirst = new Set(["Checkout", "AddToCart"]);
    const fetchImpl: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body)) as { operationName: string; variables: Record<string, unknown> };
      sent.push({ ...body, at: performance.now() });
      if (!refuseFirst.delete(body.operationName)) return fetch(input, init);
      // What a gateway or orders process past its capacity answers, having done nothing.
      const extensions = { code: "SERVICE_UNAVAILABLE", reason: "OVERLOADED", retryAfterSeconds: 1 };
      return new Response(JSON.stringify({ errors: [{ message: "Too many checkouts at this moment; nothing was done, retry in 1 s", extensions }], data: null }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    };
    const shopper = client({ session: signedUp.session, fetch: fetchImpl });
    await assert.rejects(shopper.request(AddToCartDocument, { productId: "prod_0000007", quantity: 1 }), (error: StorefrontError) => error.details.extensions?.reason === "OVERLOADED");
    assert.equal(sent.filter((s) => s.operationName === "AddToCart").length, 1, "not safe to repeat: surfaced instead");
    await shopper.request(AddToCartDocument, { productId: "prod_0000007", quantity: 1 });
    const { checkout } = await shopper.request(CheckoutDocument, { idempotencyKey: "overloaded-1", ...DESTINATION });
    const attempts = sent.filter((s) => s.operationName === "Checkout");
    assert.deepEqual(attempts.map((a) => a.variables.idempotencyKey), ["overloaded-1", "overloaded-1"]);
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 1_000, "waited the hint out");
    const { orders } = await shopper.request(MyOrdersDocument);
    assert.deepEqual(orders.edges.map((edge) => edge.node.id), [checkout.id]);
  });

  test("addToCart whose answer was lost is not sent again: it is not safe to repeat", async () => {
    const signedUp = await signedUpClient();
    const { sent, fetchImpl } = recordingFetch("AddToCart");
    const shopper = client({ session: signedUp.session, fetch: fetchImpl });
    await assert.rejects(shopper.request(AddToCartDocument, { productId: "prod_0000005", quantity: 1 }), (error: StorefrontError) => error.code === "NETWORK_ERROR");
    assert.equal(sent.filter((s) => s.operationName === "AddToCart").length, 1);
    assert.equal((await shopper.request(CartDocument)).cart.totalQuantity, 1, "the lost answer's change happened once");
  });

  test("addToCart, a quantity set, a removal and accepting prices sent with an idempotency key, their answers lost, are sent again under it and change the cart once each; accepting prices without a key is not sent again", async () => {
    const signedUp = await signedUpClient();
    const added = recordingFetch("AddToCart");
    const adder = client({ session: signedUp.session, fetch: added.fetchImpl });
    const { addToCart } = await adder.request(AddToCartDocument, { productId: "prod_0000008", quantity: 2, idempotencyKey: "add-lost-1" });
    assert.deepEqual(added.sent.filter((s) => s.operationName === "AddToCart").map((s) => s.variables.idempotencyKey), ["add-lost-1", "add-lost-1"]);
    assert.equal(addToCart.totalQuantity, 2, "the retry answers the cart the first call made");

    const updated = recordingFetch("UpdateCartItem");
    const updater = client({ session: signedUp.session, fetch: updated.fetchImpl });
    await updater.request(UpdateCartItemDocument, { productId: "prod_0000008", quantity: 5, idempotencyKey: "set-lost-1" });
    assert.equal(updated.sent.filter((s) => s.operationName === "UpdateCartItem").length, 2);

    const removed = recordingFetch("RemoveFromCart");
    const remover = client({ session: signedUp.session, fetch: removed.fetchImpl });
    const { removeFromCart } = await remover.request(RemoveFromCartDocument, { productId: "prod_0000008", idempotencyKey: "remove-lost-1" });
    assert.equal(removed.sent.filter((s) => s.operationName === "RemoveFromCart").length, 2, "sent again, answered the cart rather than NOT_FOUND");
    assert.equal(removeFromCart.totalQuantity, 0);

    // Accepting the cart's prices: the sign-ups of one address are budgeted, so the same shopper.
    await client({ session: signedUp.session }).request(AddToCartDocument, { productId: "prod_0000009", quantity: 1 });
    const keyed = recordingFetch("AcceptCartPrices");
    const accepter = client({ session: signedUp.session, fetch: keyed.fetchImpl });
    const { acceptCartPrices } = await accepter.request(AcceptCartPricesDocument, { idempotencyKey: "accept-lost-1" });
    assert.deepEqual(keyed.sent.filter((s) => s.operationName === "AcceptCartPrices").map((s) => s.variables.idempotencyKey), ["accept-lost-1", "accept-lost-1"]);
    assert.equal(acceptCartPrices.hasPriceChanges, false);
    assert.deepEqual(acceptCartPrices.items.map((item) => item.quantity), [1]);

    // Without a key a second run would accept prices that moved after the shopper agreed to them.
    const bare = recordingFetch("AcceptCartPrices");
    const unkeyed = client({ session: signedUp.session, fetch: bare.fetchImpl });
    await assert.rejects(unkeyed.request(AcceptCartPricesDocument, {}), (error: StorefrontError) => error.code === "NETWORK_ERROR");
    assert.equal(bare.sent.filter((s) => s.operationName === "AcceptCartPrices").length, 1);
  });
});

/** A TCP hop in front of the gateway that can cut every connection through it. */
async function startCuttableProxy(target: URL): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    cut,
    close: () => {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe("order status subscription", () => {
  test("after a dropped connection it reconnects and resumes from the order's current state, until a final status", async () => {
    const shopper = await signedUpClient();
    await shopper.request(AddToCartDocument, { productId: "prod_0000006", quantity: 1 });
    const { checkout } = await shopper.request(CheckoutDocument, { idempotencyKey: "follow-1", ...DESTINATION });
    const proxy = await startCuttableProxy(new URL(supergraph.gatewayUrl));
    const follower = client({ url: proxy.url, session: shopper.session });
    const seen: OrderStatusSubscription["orderStatusChanged"]["status"][] = [];
    let reconnects = 0;
    let completed = false;
    let failure: StorefrontError | undefined;
    follower.subscribe(OrderStatusDocument, { orderId: checkout.id }, {
      next: ({ orderStatusChanged }) => void seen.push(orderStatusChanged.status),
      reconnecting: () => void reconnects++,
      error: (error) => void (failure = error),
      complete: () => void (completed = true),
    });
    try {
      await waitFor("the order is PAID", () => seen.includes("PAID"), { timeoutMs: 20_000 });
      const before = seen.length;
      proxy.cut();
      await waitFor("a result after the reconnect", () => seen.length > before, { timeoutMs: 10_000 });
      assert.equal(reconnects, 1);
      assert.equal(seen.at(-1), "PAID", "the first result after the reconnect is the current state");
      assert.equal(completed, false, "PAID is not the end of the stream");
      const backOffice = client({ session: { accessToken: await supergraph.token("client-admin", ["customer", "admin"]), refreshToken: "none" } });
      await backOffice.request(ShipOrderDocument, { id: checkout.id });
      await backOffice.request(DeliverOrderDocument, { id: checkout.id });
      await waitFor("DELIVERED arrives", () => seen.includes("DELIVERED"), { timeoutMs: 10_000 });
      assert.equal(completed, false, "a delivered order may still be returned: the stream goes on");
      await backOffice.request(RefundOrderDocument, { id: checkout.id, reason: "Lost parcel", idempotencyKey: "client-test" });
      await waitFor("the stream completes", () => completed, { timeoutMs: 10_000 });
      assert.deepEqual(seen.slice(-2), ["DELIVERED", "REFUNDED"]);
      assert.equal(failure, undefined);
    } finally {
      await follower.dispose();
      await proxy.close();
    }
  });

  test("a refused access token fails the subscription at once with the reason, without retrying", async () => {
    const follower = client({ session: { accessToken: "forged.token.value", refreshToken: "none" } });
    const started = Date.now();
    const failure = await new Promise<StorefrontError>((resolve) => {
      follower.subscribe(OrderStatusDocument, { orderId: "ord_missing" }, { next: () => undefined, error: resolve });
    });
    assert.equal(failure.code, "UNAUTHENTICATED");
    assert.match(failure.message, /refused this connection's access token .*sign in again/);
    assert.ok(Date.now() - started < 3_000, `failed after ${Date.now() - started} ms`);
  });
});
