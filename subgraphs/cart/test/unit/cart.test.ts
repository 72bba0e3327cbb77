import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkQuantity, priceCart, priceChanged, type StoredCart } from "../../src/domain/cart.js";

const usd = (amount: number) => ({ amount, currency: "USD" });
const limits = { maxQuantityPerLine: 10, maxLines: 50 };
const codeOf = (error: unknown) => (error as { extensions: { code: string } }).extensions.code;

describe("cart rules", () => {
  const stored: StoredCart = {
    userId: "u1",
    updatedAt: new Date(0),
    lastOrderId: null,
    lines: [
      { productId: "a", quantity: 2, accepted: usd(500), addedAt: new Date(0) },
      { productId: "gone", quantity: 1, accepted: usd(100), addedAt: new Date(0) },
      { productId: "b", quantity: 1, accepted: usd(300), addedAt: new Date(0) },
    ],
  };

  it("prices lines at the catalog's current price and sets deleted products apart", () => {
    const priced = priceCart(stored, new Map([["a", { id: "a", name: "A", price: usd(550) }], ["b", { id: "b", name: "B", price: usd(300) }], ["gone", null]]));
    assert.deepEqual(priced.lines.map((l) => [l.productId, l.current.amount, l.accepted.amount]), [["a", 550, 500], ["b", 300, 300]]);
    assert.deepEqual(priced.unavailable, ["gone"]);
    assert.deepEqual(priced.lines.map(priceChanged), [true, false]);
  });

  it("accepts whole quantities from 1 to the per-order limit within stock, with a code for each refusal", () => {
    checkQuantity("a", 1, 5, limits);
    checkQuantity("a", 10, 10, limits);
    assert.equal(codeOf(assertThrows(() => checkQuantity("a", 0, 5, limits))), "BAD_USER_INPUT");
    assert.equal(codeOf(assertThrows(() => checkQuantity("a", 1.5, 5, limits))), "BAD_USER_INPUT");
    assert.equal(codeOf(assertThrows(() => checkQuantity("a", 11, 100, limits))), "QUANTITY_LIMIT_EXCEEDED");
    const short = assertThrows(() => checkQuantity("a", 6, 5, limits));
    assert.equal(codeOf(short), "OUT_OF_STOCK");
    assert.equal((short as { extensions: { available: number } }).extensions.available, 5);
    // Worded as checkout words it (the inventory's refusal), naming the product.
    assert.equal((short as Error).message, "Only 5 unit(s) of product a are available");
    assert.equal((assertThrows(() => checkQuantity("a", 1, 0, limits)) as Error).message, "Product a is out of stock");
  });
});

function assertThrows(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}
