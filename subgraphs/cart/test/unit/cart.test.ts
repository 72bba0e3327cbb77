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
      { variantId: "a:1", productId: "a", quantity: 2, accepted: usd(500), addedAt: new Date(0) },
      { variantId: "gone", productId: "gone", quantity: 1, accepted: usd(100), addedAt: new Date(0) },
      { variantId: "b", productId: "b", quantity: 1, accepted: usd(300), addedAt: new Date(0) },
    ],
  };

  const variant = (id: string, productId: string, name: string, title: string, amount: number) => ({ id, productId, name, title, sku: `SKU-${id}`, options: [], price: usd(amount) });

  it("prices lines at their variant's current price and sets deleted variants apart", () => {
    const priced = priceCart(stored, new Map([["a:1", variant("a:1", "a", "A", "Red", 550)], ["b", variant("b", "b", "B", "B", 300)], ["gone", null]]));
    assert.deepEqual(
      priced.lines.map((l) => [l.variantId, l.productId, l.variantTitle, l.current.amount, l.accepted.amount]),
      [["a:1", "a", "Red", 550, 500], ["b", "b", "B", 300, 300]],
    );
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
    // A variant other than the default one is named with its product.
    const variantShort = assertThrows(() => checkQuantity("a:red-m", 2, 1, limits)) as { message: string; extensions: Record<string, unknown> };
    assert.equal(variantShort.message, "Only 1 unit(s) of variant a:red-m of product a are available");
    assert.deepEqual(variantShort.extensions, { code: "OUT_OF_STOCK", productId: "a", variantId: "a:red-m", available: 1 });
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
