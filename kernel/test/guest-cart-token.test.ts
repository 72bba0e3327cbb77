import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { guestCartIdOf, issueGuestCartToken, MAX_CART_TOKEN_LENGTH, readGuestCartToken } from "../src/auth/guest-cart-token.js";

const SECRET = "internal-secret-for-tests-0123456789";

describe("guest cart tokens", () => {
  it("issues unguessable tokens that read back as the hash they are stored under", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => issueGuestCartToken(SECRET)));
    assert.equal(tokens.size, 1000);
    const [token] = tokens;
    assert.match(token!, /^gc1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    const reading = readGuestCartToken(SECRET, token!);
    assert.deepEqual(reading, { cartId: guestCartIdOf(token!) });
    assert.ok(!("cartId" in reading && token!.includes(reading.cartId)), "the id reveals nothing of the token");
  });

  it("refuses a token signed with another key, or with its random part changed, as forged", () => {
    const token = issueGuestCartToken(SECRET);
    assert.deepEqual(readGuestCartToken("another-secret-0123456789abcdef", token), { problem: "forged" });
    const [, random, mac] = token.split(".");
    const flipped = `gc1.${random!.slice(0, -1)}${random!.endsWith("A") ? "B" : "A"}.${mac}`;
    assert.deepEqual(readGuestCartToken(SECRET, flipped), { problem: "forged" });
  });

  it("refuses malformed and oversized tokens before checking anything else", () => {
    for (const bad of ["", "gc1", "gc1..", "gc2.abc.def", `gc1.${"a".repeat(43)}.${"b".repeat(21)}`, `gc1.${"a".repeat(42)}!.${"b".repeat(22)}`, `gc1.${"a".repeat(43)}.${"b".repeat(22)}\n`, "' OR 1=1 --"]) {
      assert.deepEqual(readGuestCartToken(SECRET, bad), { problem: "malformed" }, JSON.stringify(bad));
    }
    assert.deepEqual(readGuestCartToken(SECRET, "x".repeat(MAX_CART_TOKEN_LENGTH + 1)), { problem: "oversized" });
    assert.deepEqual(readGuestCartToken(SECRET, "x".repeat(1_000_000)), { problem: "oversized" });
  });
});
