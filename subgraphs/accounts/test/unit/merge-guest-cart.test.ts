import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "#kernel";
import { mergeGuestCart } from "../../src/resolvers/merge-guest-cart.js";
import type { AccountsContext } from "../../src/subgraph-context.js";
import type { Session } from "../../src/domain/account.service.js";
import type { GuestCartMerge } from "../../src/ports/guest-cart-merge.js";

const session = { accessToken: "a", refreshToken: "r", expiresIn: 900, user: { id: "u1" } } as Session;
const contextWith = (guestCartId: string | undefined, guestCarts: GuestCartMerge) =>
  ({ requestId: "req-1", guestCartId, guestCarts, logger: createLogger("silent") }) as unknown as AccountsContext;

describe("the guest cart hook of logIn and signUp", () => {
  it("merges the request's guest cart into the customer who signed in, once", async () => {
    const calls: unknown[] = [];
    const carts: GuestCartMerge = { merge: async (request) => (calls.push(request), { mergedUnits: 2, droppedUnits: 0 }), close: async () => {} };
    assert.equal(await mergeGuestCart(contextWith("G".repeat(43), carts), session), session);
    assert.deepEqual(calls, [{ customerId: "u1", guestCartId: "G".repeat(43), requestId: "req-1" }]);
  });

  it("does nothing without a cart token", async () => {
    let called = false;
    const carts: GuestCartMerge = { merge: async () => ((called = true), { mergedUnits: 0, droppedUnits: 0 }), close: async () => {} };
    assert.equal(await mergeGuestCart(contextWith(undefined, carts), session), session);
    assert.equal(called, false);
  });

  it("still signs the customer in when the cart subgraph fails: the guest cart waits for a later logIn", async () => {
    const carts: GuestCartMerge = { merge: async () => Promise.reject(new Error("cart unreachable")), close: async () => {} };
    assert.equal(await mergeGuestCart(contextWith("G".repeat(43), carts), session), session);
  });
});
