import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { guestCartIdOf, issueGuestCartToken } from "#kernel";
import { guestCartIdOfRequest, InvalidCartTokenError } from "../src/auth/guest-cart-header.js";

const SECRET = "gateway-cart-header-secret-0123456789";

describe("X-Cart-Token at the gateway", () => {
  it("is optional: no header or an empty one means no guest cart", () => {
    assert.equal(guestCartIdOfRequest({}, SECRET), undefined);
    assert.equal(guestCartIdOfRequest({ "x-cart-token": "" }, SECRET), undefined);
  });

  it("yields the hash of a valid token, never the token, and tolerates surrounding spaces", () => {
    const token = issueGuestCartToken(SECRET);
    assert.equal(guestCartIdOfRequest({ "x-cart-token": token }, SECRET), guestCartIdOf(token));
    assert.equal(guestCartIdOfRequest({ "x-cart-token": ` ${token} ` }, SECRET), guestCartIdOf(token));
  });

  it("refuses, naming the problem, a forged, malformed, oversized or repeated token", () => {
    const token = issueGuestCartToken(SECRET);
    const problem = (value: string | string[]) => {
      try {
        guestCartIdOfRequest({ "x-cart-token": value as string }, SECRET);
        return "accepted";
      } catch (error) {
        assert.ok(error instanceof InvalidCartTokenError);
        return error.problem;
      }
    };
    assert.equal(problem(issueGuestCartToken("some-other-deployment-secret-0123")), "forged");
    assert.equal(problem("guest"), "malformed");
    assert.equal(problem(`${token}\u0000`), "malformed");
    assert.equal(problem("a".repeat(300)), "oversized");
    assert.equal(problem([token, token]), "malformed", "two tokens name no one cart");
  });
});
