// The client's guest cart token: created once on demand, sent as X-Cart-Token with every
// operation, forgotten when the gateway refuses it and when the shopper signs in (the logIn
// that carried it merged the guest cart).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AddToCartDocument, CartDocument, createStorefrontClient, StorefrontError } from "../src/index.js";

function fakeGateway(answer: (operationName: string, headers: Record<string, string>) => { status?: number; body: unknown }) {
  const calls: { operationName: string; cartToken?: string; authorization?: string }[] = [];
  const fetchImpl: typeof fetch = async (_input, init) => {
    const headers = init?.headers as Record<string, string>;
    const { operationName } = JSON.parse(String(init?.body)) as { operationName: string };
    calls.push({ operationName, cartToken: headers["x-cart-token"], authorization: headers.authorization });
    const { status = 200, body } = answer(operationName, headers);
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  return { calls, fetchImpl };
}

const emptyCart = { id: "c", totalQuantity: 0, hasPriceChanges: false, subtotal: { amount: 0, currency: "USD" }, items: [] };

describe("guest cart token in the typed client", () => {
  test("creates the token once, sends it with every operation, and reports it to be saved", async () => {
    let issued = 0;
    const gateway = fakeGateway((name) =>
      name === "CreateGuestCart" ? { body: { data: { createGuestCart: { token: `gc1.token-${++issued}`, cart: { id: "c", totalQuantity: 0 } } } } } : { body: { data: { cart: emptyCart } } },
    );
    const saved: (string | undefined)[] = [];
    const client = createStorefrontClient({ url: "http://gateway.test/graphql", fetch: gateway.fetchImpl, onCartTokenChange: (token) => saved.push(token) });
    const [a, b] = await Promise.all([client.guestCartToken(), client.guestCartToken()]);
    await client.request(CartDocument);
    assert.equal(await client.guestCartToken(), a);
    assert.deepEqual([a, b, issued], ["gc1.token-1", "gc1.token-1", 1], "one cart for two operations started at once");
    assert.equal(gateway.calls.at(-1)?.cartToken, client.cartToken);
    assert.deepEqual(saved, ["gc1.token-1"]);
    await client.dispose();
  });

  test("forgets a token the gateway refuses, and the one a sign-in merged", async () => {
    const gateway = fakeGateway((_name, headers) =>
      headers["x-cart-token"] === "gc1.refused"
        ? { status: 400, body: { errors: [{ message: "not a cart token", extensions: { code: "BAD_USER_INPUT", header: "X-Cart-Token" } }] } }
        : { body: { data: { addToCart: { id: "c", totalQuantity: 1, subtotal: { amount: 1, currency: "USD" } } } } },
    );
    const saved: (string | undefined)[] = [];
    const client = createStorefrontClient({ url: "http://gateway.test/graphql", fetch: gateway.fetchImpl, cartToken: "gc1.refused", onCartTokenChange: (token) => saved.push(token) });
    await assert.rejects(client.request(AddToCartDocument, { productId: "p", quantity: 1 }), (error) => error instanceof StorefrontError && error.code === "BAD_USER_INPUT");
    assert.equal(client.cartToken, undefined);
    assert.deepEqual(saved, [undefined]);

    const kept = createStorefrontClient({ url: "http://gateway.test/graphql", fetch: gateway.fetchImpl, cartToken: "gc1.kept" });
    await kept.request(AddToCartDocument, { productId: "p", quantity: 1 });
    assert.equal(gateway.calls.at(-1)?.cartToken, "gc1.kept");
    kept.setSession({ accessToken: "a", refreshToken: "r" });
    assert.equal(kept.cartToken, undefined, "signed in: the guest cart was merged by that sign-in");
    await Promise.all([client.dispose(), kept.dispose()]);
  });
});
