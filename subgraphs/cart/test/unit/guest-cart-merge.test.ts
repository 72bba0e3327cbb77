import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CartLine, CatalogVariant, StoredCart } from "../../src/domain/cart.js";
import { planGuestCartMerge, StaleMergeFacts } from "../../src/domain/guest-cart-merge.js";
import { cartOwnerOf, guestCartOwner } from "../../src/domain/cart-owner.js";

const money = (amount: number, currency = "USD") => ({ amount, currency });
const limits = { maxQuantityPerLine: 10, maxLines: 3 };
const line = (variantId: string, quantity: number, accepted = 1000, currency = "USD"): CartLine => ({
  variantId,
  productId: variantId.split(":")[0]!,
  quantity,
  accepted: money(accepted, currency),
  addedAt: new Date(1000),
});
const cart = (userId: string, lines: CartLine[]): StoredCart => ({ userId, updatedAt: new Date(0), lastOrderId: null, lines });
const variant = (id: string, amount = 1000, currency = "USD"): CatalogVariant => ({ id, productId: id.split(":")[0]!, name: id, title: id, sku: id, options: [], price: money(amount, currency) });
const facts = (entries: [string, CatalogVariant | null, number][]) => ({
  variants: new Map(entries.map(([id, v]) => [id, v])),
  available: new Map(entries.map(([id, , units]) => [id, units])),
});
const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code;

describe("guest cart merge rules", () => {
  it("adds quantities up per variant and brings guest-only lines over", () => {
    const plan = planGuestCartMerge(cart("guest:g", [line("a", 2), line("b", 1)]), cart("u", [line("a", 3)]), facts([["a", variant("a"), 100], ["b", variant("b"), 100]]), limits);
    assert.deepEqual(plan.lines.map((l) => [l.variantId, l.quantity]), [["a", 5], ["b", 1]]);
    assert.deepEqual([plan.mergedUnits, plan.droppedUnits], [3, 0]);
  });

  it("caps a line at the per-line limit and at the stock, leaving the excess out", () => {
    const plan = planGuestCartMerge(cart("guest:g", [line("a", 8), line("b", 6)]), cart("u", [line("a", 5)]), facts([["a", variant("a"), 100], ["b", variant("b"), 4]]), limits);
    assert.deepEqual(plan.lines.map((l) => [l.variantId, l.quantity]), [["a", 10], ["b", 4]]);
    assert.deepEqual([plan.mergedUnits, plan.droppedUnits], [9, 5]);
  });

  it("leaves out the units that would take the merged cart past what one order may hold", () => {
    // 4 x 10,000,000 held; the guest brings 10 more of another line at the same unit price:
    // 5 fit under 99,999,999.
    const price = 10_000_000;
    const plan = planGuestCartMerge(cart("guest:g", [line("b", 10, price)]), cart("u", [line("a", 4, price)]), facts([["a", variant("a", price), 100], ["b", variant("b", price), 100]]), limits);
    assert.deepEqual(plan.lines.map((l) => [l.variantId, l.quantity]), [["b", 5]]);
    assert.deepEqual([plan.mergedUnits, plan.droppedUnits], [5, 5]);
  });

  it("never lowers the customer's own line, even below its stock", () => {
    const plan = planGuestCartMerge(cart("guest:g", [line("a", 2)]), cart("u", [line("a", 6)]), facts([["a", variant("a"), 3]]), limits);
    assert.deepEqual(plan.lines, [], "nothing to write");
    assert.deepEqual([plan.mergedUnits, plan.droppedUnits], [0, 2]);
  });

  it("leaves out variants that left the catalog, sold out, other currencies, and lines beyond the cart's limit", () => {
    const plan = planGuestCartMerge(
      cart("guest:g", [line("gone", 1), line("sold", 1), line("eur", 1, 900, "EUR"), line("c", 1), line("d", 2)]),
      cart("u", [line("a", 1), line("b", 1)]),
      facts([["gone", null, 5], ["sold", variant("sold"), 0], ["eur", variant("eur", 900, "EUR"), 5], ["c", variant("c"), 5], ["d", variant("d"), 5]]),
      limits,
    );
    assert.deepEqual(plan.lines.map((l) => l.variantId), ["c"], "room for one more line (limit 3)");
    assert.deepEqual([plan.mergedUnits, plan.droppedUnits], [1, 5]);
  });

  it("keeps whichever accepted price differs from the current one, so a moved price needs accepting again", () => {
    // The guest accepted 1000, the price is now 1200: the new line shows its accepted price.
    const moved = planGuestCartMerge(cart("guest:g", [line("a", 1, 1000)]), cart("u", []), facts([["a", variant("a", 1200), 9]]), limits);
    assert.deepEqual(moved.lines[0]!.accepted, money(1000));
    // Both held the line: the customer accepted the current price, the guest an older one.
    const guestOld = planGuestCartMerge(cart("guest:g", [line("a", 1, 1000)]), cart("u", [line("a", 1, 1200)]), facts([["a", variant("a", 1200), 9]]), limits);
    assert.deepEqual(guestOld.lines[0]!.accepted, money(1000));
    // The customer's accepted price is the stale one: it stays.
    const customerOld = planGuestCartMerge(cart("guest:g", [line("a", 1, 1200)]), cart("u", [line("a", 1, 900)]), facts([["a", variant("a", 1200), 9]]), limits);
    assert.deepEqual(customerOld.lines[0]!.accepted, money(900));
    const unchanged = planGuestCartMerge(cart("guest:g", [line("a", 1, 1200)]), cart("u", [line("a", 1, 1200)]), facts([["a", variant("a", 1200), 9]]), limits);
    assert.deepEqual(unchanged.lines[0]!.accepted, money(1200));
  });

  it("asks for fresh facts when the locked guest cart holds a variant read for nobody", () => {
    assert.throws(() => planGuestCartMerge(cart("guest:g", [line("new", 1)]), cart("u", []), facts([]), limits), StaleMergeFacts);
  });
});

describe("cart owner", () => {
  it("is the customer when signed in (a cart token is then ignored), else the token's guest cart", () => {
    assert.equal(cartOwnerOf({ identity: { userId: "u1", roles: ["customer"] }, guestCartId: "x".repeat(43) }), "u1");
    assert.equal(cartOwnerOf({ guestCartId: "x".repeat(43) }), guestCartOwner("x".repeat(43)));
    assert.notEqual(cartOwnerOf({ guestCartId: "x".repeat(43) }), cartOwnerOf({ guestCartId: "y".repeat(43) }));
  });

  it("refuses callers with neither, and a subject shaped like a guest key", () => {
    assert.throws(() => cartOwnerOf({}), (error) => codeOf(error) === "UNAUTHENTICATED");
    assert.throws(() => cartOwnerOf({ identity: { userId: guestCartOwner("x".repeat(43)), roles: ["customer"] } }), (error) => codeOf(error) === "FORBIDDEN");
  });
});
