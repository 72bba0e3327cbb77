import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CartLine, CatalogVariant, StoredCart } from "../../src/domain/cart.js";
import { planOrderToCart, putBackOnce } from "../../src/domain/order-to-cart.js";
import type { OrderedLine } from "../../src/ports/order-history.js";

const money = (amount: number, currency = "USD") => ({ amount, currency });
const limits = { maxQuantityPerLine: 10, maxLines: 3 };
const NOW = new Date(5000);
const held = (variantId: string, quantity: number, accepted = 1000, currency = "USD"): CartLine => ({ variantId, productId: variantId, quantity, accepted: money(accepted, currency), addedAt: new Date(1000) });
const cart = (lines: CartLine[]): StoredCart => ({ userId: "cust", updatedAt: new Date(0), lastOrderId: null, lines });
const ordered = (variantId: string, quantity: number): OrderedLine => ({ variantId, productId: variantId, quantity, name: variantId, variantTitle: variantId });
const variant = (id: string, amount = 1000, currency = "USD"): CatalogVariant => ({ id, productId: id, name: id, title: id, sku: id, options: [], price: money(amount, currency) });
const facts = (entries: [string, CatalogVariant | null, number][]) => ({
  variants: new Map(entries.map(([id, v]) => [id, v])),
  available: new Map(entries.map(([id, , units]) => [id, units])),
});
const outcomes = (plan: ReturnType<typeof planOrderToCart>) => plan.results.map((r) => [r.line.variantId, r.added, r.quantityInCart, r.outcome]);

describe("planOrderToCart", () => {
  it("never lowers a held line whose stock fell below it, and adds nothing to it", () => {
    const plan = planOrderToCart([ordered("a", 6)], cart([held("a", 5)]), facts([["a", variant("a"), 2]]), limits, NOW);
    assert.deepEqual(outcomes(plan), [["a", 0, 5, "LIMITED_BY_STOCK"]]);
    assert.deepEqual(plan.lines, []);
  });

  it("counts a held line of a variant gone from the catalog as nothing in the cart", () => {
    const plan = planOrderToCart([ordered("gone", 1)], cart([held("gone", 3)]), facts([["gone", null, 0]]), limits, NOW);
    assert.deepEqual(outcomes(plan), [["gone", 0, 0, "NO_LONGER_SOLD"]]);
  });

  it("adds up an order's lines of one variant, and prices a raised line at today's price from now on", () => {
    const plan = planOrderToCart([ordered("a", 2), ordered("a", 3)], cart([held("a", 1, 800)]), facts([["a", variant("a", 1200), 100]]), limits, NOW);
    assert.deepEqual(outcomes(plan), [["a", 4, 5, "ADDED"]]);
    assert.deepEqual(plan.lines.map((l) => [l.variantId, l.quantity, l.accepted.amount, l.addedAt]), [["a", 5, 1200, new Date(1000)]], "the line keeps its place in the cart");
  });

  it("holds one currency: a line's own currency may change with its price, but not against the other lines, the new ones included", () => {
    const alone = planOrderToCart([ordered("a", 2)], cart([held("a", 1, 1000, "EUR")]), facts([["a", variant("a", 1000, "USD"), 100]]), limits, NOW);
    assert.deepEqual(outcomes(alone), [["a", 1, 2, "ADDED"]]);
    const mixed = planOrderToCart([ordered("e", 1), ordered("u", 1)], cart([]), facts([["e", variant("e", 100, "EUR"), 100], ["u", variant("u", 100, "USD"), 100]]), limits, NOW);
    assert.deepEqual(outcomes(mixed), [["e", 1, 1, "ADDED"], ["u", 0, 0, "CURRENCY_MISMATCH"]]);
  });

  it("fills the cart's last lines in the order's line order and tells the rest CART_FULL", () => {
    const plan = planOrderToCart([ordered("b", 1), ordered("c", 1), ordered("d", 1)], cart([held("a", 1)]), facts([["b", variant("b"), 9], ["c", variant("c"), 9], ["d", variant("d"), 9]]), limits, NOW);
    assert.deepEqual(outcomes(plan), [["b", 1, 1, "ADDED"], ["c", 1, 1, "ADDED"], ["d", 0, 0, "CART_FULL"]]);
  });

  it("adds nothing for an order put back before: a line the cart no longer holds in full is ALREADY_PUT_BACK, one it holds ALREADY_IN_CART", () => {
    const plan = planOrderToCart([ordered("a", 2), ordered("b", 1), ordered("gone", 1)], cart([held("a", 1), held("b", 1)]), facts([["a", variant("a"), 9], ["b", variant("b"), 9], ["gone", null, 0]]), limits, NOW, true);
    assert.deepEqual(outcomes(plan), [["a", 0, 1, "ALREADY_PUT_BACK"], ["b", 0, 1, "ALREADY_IN_CART"], ["gone", 0, 0, "NO_LONGER_SOLD"]]);
    assert.deepEqual(plan.lines, []);
  });

  it("puts back once only the orders never paid for: declined or cancelled", () => {
    assert.deepEqual(["PAYMENT_FAILED", "CANCELLED"].map(putBackOnce), [true, true]);
    assert.deepEqual(["PENDING", "PAID", "SHIPPED", "DELIVERED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED", "REFUNDED", null].map(putBackOnce), [false, false, false, false, false, false, false, false]);
  });
});
