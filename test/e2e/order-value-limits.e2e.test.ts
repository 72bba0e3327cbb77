// What one order may cost, judged where the amounts enter: a price, a cart line, a checkout.
// The limit is what one charge can take at the provider (99,999,999 minor units): an order
// past it used to be placed and then refused by the provider on every try, and past 2^31 its
// amounts overflowed (INTERNAL_SERVER_ERROR after the cart line was already written).
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { waitFor } from "#kernel/testing";

const BAR_PRICE = 9_000_000;

describe("order value limits through the gateway", () => {
  let sg: TestSupergraph;
  let admin: string;
  before(async () => {
    sg = await startTestSupergraph();
    admin = await sg.token("value-admin", ["admin"]);
  });
  after(() => sg.close());

  async function product(sku: string, priceAmount: number): Promise<string> {
    const created = await sg.query(
      `mutation($sku: String!, $price: Int!) { createProduct(input: { sku: $sku, name: "Gold bar", description: "Heavy", priceAmount: $price, category: "home-kitchen", brand: "Mint" }) { id } }`,
      { sku, price: priceAmount },
      admin,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const id = created.data!.createProduct.id as string;
    const restocked = await sg.query(`mutation($id: ID!) { restock(productId: $id, quantity: 100, idempotencyKey: "${randomUUID()}") { available } }`, { id }, admin);
    assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));
    return id;
  }

  it("refuses a price no order could add up, before it is stored", async () => {
    for (const price of [2147483647, 100_000_000]) {
      const refused = await sg.query(
        `mutation($price: Int!) { createProduct(input: { sku: "GOLD-MAX", name: "Gold", description: "x", priceAmount: $price, category: "home-kitchen", brand: "Mint" }) { id } }`,
        { price },
        admin,
      );
      assert.equal(refused.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", `${price}`);
    }
    const listed = await sg.query(`{ search(query: "GOLD-MAX", first: 1) { totalCount } }`);
    assert.equal(listed.data?.search.totalCount ?? 0, 0);
  });

  it("refuses the cart line that would take the cart past what one charge can take, keeping the cart as it was, and gets the largest order paid", async () => {
    const bar = await product("GOLD-1", BAR_PRICE);
    const coin = await product("GOLD-2", 10_000_000);
    const customer = await sg.token("value-customer");
    const add = (id: string, quantity: number) =>
      sg.query(`mutation($id: ID!, $n: Int!) { addToCart(productId: $id, quantity: $n) { subtotal { amount } } }`, { id, n: quantity }, customer);
    assert.equal((await add(bar, 10)).data?.addToCart.subtotal.amount, 10 * BAR_PRICE);
    const over = await add(coin, 1);
    assert.equal(over.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(over.errors));
    assert.match(over.errors![0]!.message, /at most 99,999,999/);
    const cart = await sg.query(`{ cart { totalQuantity subtotal { amount } } }`, {}, customer);
    assert.equal(cart.errors, undefined, JSON.stringify(cart.errors));
    assert.deepEqual([cart.data!.cart.totalQuantity, cart.data!.cart.subtotal.amount], [10, 10 * BAR_PRICE], "the refused line was not written");
    const placed = await sg.query(`mutation { checkout(idempotencyKey: "gold-1", ${TEST_DESTINATION}) { id status total { amount } } }`, {}, customer);
    assert.equal(placed.errors, undefined, JSON.stringify(placed.errors));
    assert.ok(placed.data!.checkout.total.amount >= 10 * BAR_PRICE && placed.data!.checkout.total.amount <= 99_999_999);
    // The provider takes it in one charge: the order is paid, not refused on every try.
    await waitFor("the largest order is PAID", async () => (await sg.query(`query($id: ID!) { order(id: $id) { status } }`, { id: placed.data!.checkout.id }, customer)).data?.order?.status === "PAID", { timeoutMs: 15_000, intervalMs: 100 });
  });

  it("keeps a cart re-priced past what one order may cost answering with a code, and refuses to accept those prices", async () => {
    const customer = await sg.token("value-repriced");
    const bars = [await product("GOLD-R1", 100), await product("GOLD-R2", 100), await product("GOLD-R3", 100)];
    for (const id of bars) {
      const added = await sg.query(`mutation($id: ID!) { addToCart(productId: $id, quantity: 10) { totalQuantity } }`, { id }, customer);
      assert.equal(added.errors, undefined, JSON.stringify(added.errors));
    }
    // Raised after the lines went in: 30 units at 99,999,999 is past what an Int carries.
    for (const id of bars) {
      const raised = await sg.query(`mutation($id: ID!) { updateProduct(id: $id, input: { priceAmount: 99999999 }) { id } }`, { id }, admin);
      assert.equal(raised.errors, undefined, JSON.stringify(raised.errors));
    }
    const hasPriceChanges = async () => (await sg.query(`{ cart { hasPriceChanges } }`, {}, customer)).data?.cart?.hasPriceChanges === true;
    await waitFor("the cart sees the new prices", hasPriceChanges, { timeoutMs: 10_000, intervalMs: 100 });
    const shown = await sg.query(`{ cart { totalQuantity subtotal { amount } } }`, {}, customer);
    assert.equal(shown.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(shown.errors));
    assert.match(shown.errors![0]!.message, /remove some units/);

    const accepted = await sg.query(`mutation { acceptCartPrices { totalQuantity } }`, {}, customer);
    assert.equal(accepted.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(accepted));
    assert.equal(await hasPriceChanges(), true, "the refused prices were not accepted");

    // Brought down to what one order may cost, the cart shows its total and accepts the prices.
    for (const id of bars.slice(1)) {
      const removed = await sg.query(`mutation($id: ID!) { removeFromCart(productId: $id) { totalQuantity } }`, { id }, customer);
      assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
    }
    const one = await sg.query(`mutation($id: ID!) { updateCartItem(productId: $id, quantity: 1) { subtotal { amount } } }`, { id: bars[0] }, customer);
    assert.equal(one.errors, undefined, JSON.stringify(one.errors));
    assert.equal(one.data!.updateCartItem.subtotal.amount, 99_999_999);
    const fits = await sg.query(`mutation { acceptCartPrices { hasPriceChanges subtotal { amount } } }`, {}, customer);
    assert.equal(fits.errors, undefined, JSON.stringify(fits.errors));
    assert.deepEqual(fits.data!.acceptCartPrices, { hasPriceChanges: false, subtotal: { amount: 99_999_999 } });
  });
});
