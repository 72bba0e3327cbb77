import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EmbeddedProductStore } from "../../subgraphs/products/src/adapters/embedded-product-store.js";
import { startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, customer, dataOf, Ops, restock } from "../../subgraphs/orders/test/support/storefront-operations.js";

const P1 = "prod_0000001";
const P2 = "prod_0000002";
const MANY = Array.from({ length: 8 }, (_, i) => `prod_00000${10 + i}`);

describe("cart through the gateway", () => {
  let sg: CheckoutSupergraph;
  let admin: string;
  before(async () => {
    // Without the products hot cache every lookup reaches the store (the batching test's spy).
    sg = await startCheckoutSupergraph({ env: { PRODUCT_CACHE_TTL_MS: "0" } });
    admin = await sg.token("admin-cart", ["admin"]);
    await restock(sg, [P1, P2, ...MANY]);
  });
  after(() => sg.close());

  const priceOf = async (id: string) => dataOf(await sg.query(Ops.price, { id })).product.price;

  it("refuses anonymous callers with UNAUTHENTICATED", async () => {
    assert.equal(codeOf(await sg.query(Ops.cart)), "UNAUTHENTICATED");
    assert.equal(codeOf(await sg.query(Ops.addToCart, { productId: P1, quantity: 1 })), "UNAUTHENTICATED");
  });

  it("adds, merges, changes and removes lines, pricing each at the live price", async () => {
    const c = await customer(sg);
    const empty = dataOf(await sg.query(Ops.cart, {}, c.token)).cart;
    assert.deepEqual({ ...empty, id: undefined }, { id: undefined, totalQuantity: 0, hasPriceChanges: false, updatedAt: null, subtotal: { amount: 0, currency: "USD" }, items: [] });
    await c.add(P1, 2);
    await c.add(P2, 1);
    const merged = await c.add(P1, 1);
    const [p1, p2] = [await priceOf(P1), await priceOf(P2)];
    assert.deepEqual(merged.items.map((i: any) => [i.product.id, i.quantity, i.unitPrice.amount]), [[P1, 3, p1.amount], [P2, 1, p2.amount]]);
    assert.equal(merged.totalQuantity, 4);
    assert.deepEqual(merged.subtotal, { amount: 3 * p1.amount + p2.amount, currency: "USD" });

    const changed = dataOf(await sg.query(Ops.updateCartItem, { productId: P1, quantity: 1 }, c.token)).updateCartItem;
    assert.deepEqual(changed.items.map((i: any) => [i.product.id, i.quantity]), [[P1, 1], [P2, 1]]);
    const zeroed = dataOf(await sg.query(Ops.updateCartItem, { productId: P2, quantity: 0 }, c.token)).updateCartItem;
    assert.deepEqual(zeroed.items.map((i: any) => i.product.id), [P1]);
    const removed = dataOf(await sg.query(Ops.removeFromCart, { productId: P1 }, c.token)).removeFromCart;
    assert.deepEqual(removed, { totalQuantity: 0, items: [] });
  });

  it("validates quantities: positive, within the per-order limit, within stock, of a known product", async () => {
    const c = await customer(sg);
    assert.equal(codeOf(await sg.query(Ops.addToCart, { productId: P1, quantity: 0 }, c.token)), "BAD_USER_INPUT");
    assert.equal(codeOf(await sg.query(Ops.addToCart, { productId: P1, quantity: -2 }, c.token)), "BAD_USER_INPUT");
    assert.equal(codeOf(await sg.query(Ops.addToCart, { productId: "prod_missing", quantity: 1 }, c.token)), "NOT_FOUND");
    await c.add(P1, 8);
    const overLimit = await sg.query(Ops.addToCart, { productId: P1, quantity: 3 }, c.token);
    assert.equal(codeOf(overLimit), "QUANTITY_LIMIT_EXCEEDED");
    assert.equal(codeOf(await sg.query(Ops.updateCartItem, { productId: P1, quantity: 11 }, c.token)), "QUANTITY_LIMIT_EXCEEDED");
    assert.equal(codeOf(await sg.query(Ops.updateCartItem, { productId: P2, quantity: 1 }, c.token)), "NOT_FOUND", "no such line");
    // Taking out a line the cart does not hold reaches what was asked: the cart is answered as it is.
    assert.deepEqual(dataOf(await sg.query(Ops.updateCartItem, { productId: P2, quantity: 0 }, c.token)).updateCartItem.items, [{ quantity: 8, product: { id: P1 } }], "no such line to zero");
    assert.equal(dataOf(await sg.query(Ops.removeFromCart, { productId: P2 }, c.token)).removeFromCart.totalQuantity, 8, "no such line to remove");
    assert.equal(codeOf(await sg.query(Ops.removeFromCart, { productId: "prod_missing" }, c.token)), "NOT_FOUND", "a product the catalog never had");

    const scarce = await createStockedProduct(sg, 3);
    const tooMany = await sg.query(Ops.addToCart, { productId: scarce, quantity: 4 }, c.token);
    assert.equal(codeOf(tooMany), "OUT_OF_STOCK");
    assert.equal(tooMany.errors?.[0]?.extensions?.available, 3);
    const cart = dataOf(await sg.query(Ops.cart, {}, c.token)).cart;
    assert.deepEqual(cart.items.map((i: any) => [i.product.id, i.quantity]), [[P1, 8]], "refused changes leave the cart as it was");
  });

  it("follows price changes live and refuses checkout until the customer accepts the new price", async () => {
    const c = await customer(sg);
    const before = await priceOf(P2);
    await c.add(P2, 2);
    const raised = before.amount + 500;
    dataOf(await sg.query(`mutation($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { id } }`, { id: P2, amount: raised }, admin));
    const cart = dataOf(await sg.query(Ops.cart, {}, c.token)).cart;
    assert.equal(cart.items[0].unitPrice.amount, raised);
    assert.equal(cart.items[0].acceptedUnitPrice.amount, before.amount);
    assert.equal(cart.subtotal.amount, 2 * raised);
    assert.equal(cart.hasPriceChanges, true);

    const refused = await c.checkout("price-key");
    assert.equal(codeOf(refused), "PRICE_CHANGED");
    assert.deepEqual(refused.errors?.[0]?.extensions?.changes, [
      {
        variantId: P2,
        productId: P2,
        name: cart.items[0].product.name,
        variantTitle: cart.items[0].product.name,
        accepted: before,
        current: { amount: raised, currency: before.currency },
      },
    ]);
    const accepted = dataOf(await sg.query(Ops.acceptCartPrices, {}, c.token)).acceptCartPrices;
    assert.deepEqual(accepted, { hasPriceChanges: false, subtotal: { amount: 2 * raised }, items: [{ unitPrice: { amount: raised }, acceptedUnitPrice: null }] });
    const order = dataOf(await c.checkout("price-key")).checkout;
    assert.equal(order.total.amount, 2 * raised, "the order charges the accepted price");
  });

  it("drops a line whose product was deleted: not shown, not counted", async () => {
    const c = await customer(sg);
    const created = { id: await createStockedProduct(sg, 5) };
    await c.add(created.id, 1);
    await c.add(P1, 1);
    dataOf(await sg.query(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: created.id }, admin));
    const cart = dataOf(await sg.query(Ops.cart, {}, c.token)).cart;
    assert.deepEqual(cart.items.map((i: any) => i.product.id), [P1]);
    assert.equal(cart.totalQuantity, 1);
    assert.equal(cart.subtotal.amount, (await priceOf(P1)).amount);
  });

  it("prices a cart of many lines with ONE products lookup (DataLoader batching)", async () => {
    const c = await customer(sg);
    for (const id of MANY) await c.add(id, 1);
    const original = EmbeddedProductStore.prototype.findByIds;
    const calls: number[] = [];
    // Only lookups of this cart's products count: the patch sees the whole process, where an
    // earlier test's product change may still be handled (a one-id lookup of another product).
    const ours = new Set(MANY);
    EmbeddedProductStore.prototype.findByIds = function (this: EmbeddedProductStore, batch) {
      if (batch.some((id) => ours.has(id))) calls.push(batch.length);
      return original.call(this, batch);
    };
    try {
      const cart = dataOf(await sg.query(`{ cart { items { product { id name } unitPrice { amount } lineTotal { amount } } subtotal { amount } } }`, {}, c.token)).cart;
      assert.equal(cart.items.length, 8);
    } finally {
      EmbeddedProductStore.prototype.findByIds = original;
    }
    // One lookup prices the lines inside the cart subgraph; the gateway's one `_entities`
    // call for the lines' product names is the other.
    assert.deepEqual(calls, [8, 8]);
  });
});

describe("cart persistence", () => {
  it("keeps a customer's cart across a restart of the whole platform", async () => {
    const first = await startCheckoutSupergraph();
    let second: CheckoutSupergraph | undefined;
    try {
      const c = await customer(first, "restart-user");
      await c.add(P1, 2);
      await c.add(P2, 1);
      await first.stop();
      second = await startCheckoutSupergraph({ databaseUrl: first.databaseUrl });
      const cart = dataOf(await second.query(Ops.cart, {}, await second.token("restart-user"))).cart;
      assert.deepEqual(cart.items.map((i: any) => [i.product.id, i.quantity]), [[P1, 2], [P2, 1]]);
    } finally {
      await second?.stop();
      await first.close();
    }
  });
});
