import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

// Issue #14: stock, carts, reservations and orders per variant. A product with options is
// bought in a given colour and size; each variant sells out on its own.

const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id variants { id sku title } } }`;
const RESTOCK = `mutation($variantId: ID, $productId: ID, $quantity: Int!, $idempotencyKey: String!) { restock(variantId: $variantId, productId: $productId, quantity: $quantity, idempotencyKey: $idempotencyKey) { variantId productId available } }`;
const PAGE = `query($id: ID!) { product(id: $id) { id stock inStock variants { id title stock inStock } } }`;
const ADD = `mutation($variantId: ID, $productId: ID, $quantity: Int!) { addToCart(variantId: $variantId, productId: $productId, quantity: $quantity) {
  totalQuantity items { quantity variant { id title sku } product { id name } unitPrice { amount } } } }`;
const UPDATE = `mutation($variantId: ID, $productId: ID, $quantity: Int!) { updateCartItem(variantId: $variantId, productId: $productId, quantity: $quantity) { totalQuantity } }`;
const REMOVE = `mutation($variantId: ID, $productId: ID) { removeFromCart(variantId: $variantId, productId: $productId) { totalQuantity } }`;
const REMOVE_VARIANT = `mutation($id: ID!) { removeProductVariant(id: $id) { id } }`;
const CHECKOUT = `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id status total { amount }
  items { quantity name sku variantTitle unitPrice { amount } variant { id title } product { id } } } }`;

describeOnEngines("variants through the gateway: stock, cart and checkout per variant", (engines) => {
  let sg: CheckoutSupergraph;
  let admin: string;
  let db: PrismaClient;

  before(async () => {
    sg = await startCheckoutSupergraph({ engines, env: { PRODUCT_CACHE_TTL_MS: "0" } });
    admin = await sg.token("variants-admin", ["admin"]);
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
  });

  /** A T-shirt in Red M (2000) and Blue M (2200), each stocked as asked. */
  async function tShirt(red: number, blue: number) {
    const tag = randomUUID().slice(0, 8).toUpperCase();
    const variant = (colour: string, priceAmount: number) => ({ sku: `TEE-${tag}-${colour.toUpperCase()}-M`, options: [{ name: "Colour", value: colour }, { name: "Size", value: "M" }], priceAmount });
    const created = dataOf(
      await sg.query(
        CREATE,
        {
          input: {
            sku: `TEE-${tag}`,
            name: "Variant tee",
            description: "A tee in two colours",
            category: "clothing",
            brand: "b",
            options: [{ name: "Colour", values: ["Red", "Blue"] }, { name: "Size", values: ["M"] }],
            variants: [variant("Red", 2000), variant("Blue", 2200)],
          },
        },
        admin,
      ),
    ).createProduct;
    const byTitle = new Map<string, { id: string; sku: string; title: string }>(created.variants.map((v: { id: string; sku: string; title: string }) => [v.title, v]));
    const redM = byTitle.get("Red / M")!;
    const blueM = byTitle.get("Blue / M")!;
    for (const [v, units] of [[redM, red], [blueM, blue]] as const) {
      if (units > 0) dataOf(await sg.query(RESTOCK, { variantId: v.id, quantity: units, idempotencyKey: randomUUID() }, admin));
    }
    return { productId: created.id as string, redM, blueM };
  }

  it("restocks per variant, and shows a product page's stock per variant and summed", async () => {
    const tee = await tShirt(1, 2);
    const restocked = dataOf(await sg.query(RESTOCK, { variantId: tee.blueM.id, quantity: 3, idempotencyKey: randomUUID() }, admin)).restock;
    assert.deepEqual(restocked, { variantId: tee.blueM.id, productId: tee.productId, available: 5 });
    const page = dataOf(await sg.query(PAGE, { id: tee.productId })).product;
    assert.equal(page.stock, 6);
    assert.equal(page.inStock, true);
    const stockOf = new Map(page.variants.map((v: { title: string; stock: number; inStock: boolean }) => [v.title, [v.stock, v.inStock]]));
    assert.deepEqual(Object.fromEntries(stockOf), { "Red / M": [1, true], "Blue / M": [5, true] });

    assert.equal(codeOf(await sg.query(RESTOCK, { productId: tee.productId, quantity: 1, idempotencyKey: randomUUID() }, admin)), "VARIANT_REQUIRED");
    assert.equal(codeOf(await sg.query(RESTOCK, { variantId: `${tee.productId}:999`, quantity: 1, idempotencyKey: randomUUID() }, admin)), "NOT_FOUND");
    assert.equal(codeOf(await sg.query(RESTOCK, { variantId: tee.redM.id, productId: tee.productId, quantity: 1, idempotencyKey: randomUUID() }, admin)), "BAD_USER_INPUT");
    assert.equal(codeOf(await sg.query(RESTOCK, { quantity: 1, idempotencyKey: randomUUID() }, admin)), "BAD_USER_INPUT");
    assert.equal(codeOf(await sg.query(RESTOCK, { variantId: `${tee.productId}:${"x".repeat(10_240)}`, quantity: 1, idempotencyKey: randomUUID() }, admin)), "BAD_USER_INPUT");
    assert.equal(dataOf(await sg.query(PAGE, { id: tee.productId })).product.stock, 6, "refused restocks changed nothing");
  });

  it("sells each variant out on its own: buying the last Red M leaves Blue M buyable", async () => {
    const tee = await tShirt(1, 1);
    const first = await customer(sg);
    const cart = dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, first.token)).addToCart;
    assert.deepEqual(cart.items, [{ quantity: 1, variant: { id: tee.redM.id, title: "Red / M", sku: tee.redM.sku }, product: { id: tee.productId, name: "Variant tee" }, unitPrice: { amount: 2000 } }]);
    const order = dataOf(await sg.query(CHECKOUT, { key: randomUUID() }, first.token)).checkout;
    assert.equal(order.status, "PENDING");
    assert.deepEqual(order.items, [
      { quantity: 1, name: "Variant tee", sku: tee.redM.sku, variantTitle: "Red / M", unitPrice: { amount: 2000 }, variant: { id: tee.redM.id, title: "Red / M" }, product: { id: tee.productId } },
    ]);

    const second = await customer(sg);
    const soldOut = await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, second.token);
    assert.equal(codeOf(soldOut), "OUT_OF_STOCK");
    const { productId, variantId, available } = soldOut.errors?.[0]?.extensions ?? {};
    assert.deepEqual({ productId, variantId, available }, { productId: tee.productId, variantId: tee.redM.id, available: 0 });
    dataOf(await sg.query(ADD, { variantId: tee.blueM.id, quantity: 1 }, second.token));
    const blueOrder = dataOf(await sg.query(CHECKOUT, { key: randomUUID() }, second.token)).checkout;
    assert.deepEqual([blueOrder.status, blueOrder.total.amount, blueOrder.items[0].variantTitle], ["PENDING", 2200, "Blue / M"]);

    const page = dataOf(await sg.query(PAGE, { id: tee.productId })).product;
    assert.deepEqual([page.stock, page.inStock], [0, false]);
  });

  it("hides a cart line whose variant the catalog removed, and checks out the rest", async () => {
    const tee = await tShirt(2, 2);
    const shopper = await customer(sg);
    dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, shopper.token));
    dataOf(await sg.query(ADD, { variantId: tee.blueM.id, quantity: 1 }, shopper.token));
    dataOf(await sg.query(`mutation($id: ID!) { removeProductVariant(id: $id) { id } }`, { id: tee.redM.id }, admin));

    const cart = dataOf(await sg.query(`{ cart { totalQuantity items { quantity variant { id title } } } }`, {}, shopper.token)).cart;
    assert.deepEqual(cart, { totalQuantity: 1, items: [{ quantity: 1, variant: { id: tee.blueM.id, title: "Blue / M" } }] });
    const order = dataOf(await sg.query(CHECKOUT, { key: randomUUID() }, shopper.token)).checkout;
    assert.deepEqual(order.items.map((item: { variant: { id: string } }) => item.variant.id), [tee.blueM.id]);
    assert.equal(order.total.amount, 2200);
  });

  it("keeps showing an order whose variant the catalog removed later, from the order's own snapshot", async () => {
    const tee = await tShirt(2, 2);
    const shopper = await customer(sg);
    dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, shopper.token));
    const order = dataOf(await sg.query(CHECKOUT, { key: randomUUID() }, shopper.token)).checkout;
    dataOf(await sg.query(`mutation($id: ID!) { removeProductVariant(id: $id) { id } }`, { id: tee.redM.id }, admin));
    const res = await sg.query(`query($id: ID!) { order(id: $id) { id items { quantity sku variantTitle variant { id title } } } }`, { id: order.id }, shopper.token);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(res.data!.order.items, [{ quantity: 1, sku: tee.redM.sku, variantTitle: "Red / M", variant: null }]);
  });

  it("keeps showing an order whose product the catalog deleted later", async () => {
    const tee = await tShirt(1, 0);
    const shopper = await customer(sg);
    dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, shopper.token));
    const order = dataOf(await sg.query(CHECKOUT, { key: randomUUID() }, shopper.token)).checkout;
    dataOf(await sg.query(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: tee.productId }, admin));
    const res = await sg.query(`query($id: ID!) { order(id: $id) { id items { name sku product { id name } variant { id title } } } }`, { id: order.id }, shopper.token);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(res.data!.order.items, [{ name: "Variant tee", sku: tee.redM.sku, product: null, variant: null }]);
  });

  it("reports a changed price per variant: only the repriced variant's line, and nothing is charged", async () => {
    const tee = await tShirt(3, 3);
    const c = await customer(sg);
    dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, c.token));
    dataOf(await sg.query(ADD, { variantId: tee.blueM.id, quantity: 1 }, c.token));
    dataOf(await sg.query(`mutation($id: ID!) { updateProductVariant(id: $id, input: { priceAmount: 2500 }) { id } }`, { id: tee.blueM.id }, admin));
    const refused = await sg.query(CHECKOUT, { key: randomUUID() }, c.token);
    assert.equal(codeOf(refused), "PRICE_CHANGED");
    const changes = refused.errors?.[0]?.extensions?.changes as { variantId: string; variantTitle: string; accepted: { amount: number }; current: { amount: number } }[];
    assert.deepEqual(
      changes.map((change) => [change.variantId, change.variantTitle, change.accepted.amount, change.current.amount]),
      [[tee.blueM.id, "Blue / M", 2200, 2500]],
    );
    const page = dataOf(await sg.query(PAGE, { id: tee.productId })).product;
    assert.equal(page.stock, 6, "nothing was reserved");
  });

  it("refuses hostile and ambiguous line names with coded errors, changing nothing", async () => {
    const tee = await tShirt(5, 5);
    const c = await customer(sg);
    const code = async (query: string, variables: Record<string, unknown>) => codeOf(await sg.query(query, variables, c.token));
    assert.equal(await code(ADD, { variantId: `${tee.productId}:${"x".repeat(10_240)}`, quantity: 1 }), "BAD_USER_INPUT");
    assert.equal(await code(ADD, { variantId: tee.redM.id, productId: tee.productId, quantity: 1 }), "BAD_USER_INPUT");
    assert.equal(await code(ADD, { quantity: 1 }), "BAD_USER_INPUT");
    assert.equal(await code(ADD, { variantId: `${tee.productId}:404`, quantity: 1 }), "NOT_FOUND");
    assert.equal(await code(ADD, { variantId: "prod_nowhere:1", quantity: 1 }), "NOT_FOUND");
    assert.equal(await code(ADD, { variantId: `${tee.redM.id}\u0000`, quantity: 1 }), "BAD_USER_INPUT");
    assert.equal(await code(ADD, { variantId: `${tee.productId}::`, quantity: 1 }), "NOT_FOUND");
    const required = await sg.query(ADD, { productId: tee.productId, quantity: 1 }, c.token);
    assert.deepEqual([codeOf(required), required.errors?.[0]?.extensions?.productId], ["VARIANT_REQUIRED", tee.productId]);

    dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 2 }, c.token));
    assert.equal(await code(UPDATE, { productId: tee.productId, quantity: 1 }), "VARIANT_REQUIRED");
    assert.equal(await code(REMOVE, { productId: tee.productId }), "VARIANT_REQUIRED");
    assert.equal(dataOf(await sg.query(REMOVE, { variantId: tee.blueM.id }, c.token)).removeFromCart.totalQuantity, 2, "the cart holds no Blue M line: as asked");
    assert.equal(await code(REMOVE, { variantId: `${tee.productId}:404` }), "NOT_FOUND", "a variant the catalog never had");
    assert.equal(await code(UPDATE, { variantId: tee.redM.id, quantity: 6 }), "OUT_OF_STOCK");
    assert.equal(dataOf(await sg.query(UPDATE, { variantId: tee.redM.id, quantity: 3 }, c.token)).updateCartItem.totalQuantity, 3);
    assert.equal(dataOf(await sg.query(REMOVE, { variantId: tee.redM.id }, c.token)).removeFromCart.totalQuantity, 0);
  });

  it("never oversells a variant in a flash sale: 12 buyers at once for 4 Red M, Blue M untouched", async () => {
    const tee = await tShirt(4, 3);
    const buyers = await Promise.all(Array.from({ length: 12 }, () => customer(sg)));
    // Every cart is filled while stock lasts (the cart checks stock, checkout reserves it).
    for (const buyer of buyers) dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 1 }, buyer.token));
    const answers = await Promise.all(buyers.map((buyer) => sg.query(CHECKOUT, { key: randomUUID() }, buyer.token)));
    const sold = answers.filter((answer) => answer.data?.checkout?.status === "PENDING");
    const refused = answers.filter((answer) => !answer.data?.checkout);
    assert.equal(sold.length, 4, answers.map((a) => a.data?.checkout?.status ?? codeOf(a)).join(" "));
    assert.ok(refused.every((answer) => codeOf(answer) === "OUT_OF_STOCK" && answer.errors?.[0]?.extensions?.variantId === tee.redM.id));
    const page = dataOf(await sg.query(PAGE, { id: tee.productId })).product;
    const stockOf = Object.fromEntries(page.variants.map((v: { title: string; stock: number }) => [v.title, v.stock]));
    assert.deepEqual(stockOf, { "Red / M": 0, "Blue / M": 3 });
  });

  it("ends a checkout racing the removal of its variant either as an order holding the stock or as a coded refusal taking none", async () => {
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 6; round++) {
      const tee = await tShirt(5, 5);
      const buyer = await customer(sg);
      dataOf(await sg.query(ADD, { variantId: tee.redM.id, quantity: 2 }, buyer.token));
      const [checkout, removal] = await Promise.all([
        sg.query(CHECKOUT, { key: randomUUID() }, buyer.token),
        sg.query(REMOVE_VARIANT, { id: tee.redM.id }, admin),
      ]);
      assert.equal(removal.errors, undefined, JSON.stringify(removal.errors));
      const order = checkout.data?.checkout;
      const outcome = order ? "ordered" : String(codeOf(checkout));
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      // Whatever won, the held units match what was ordered: 2 for an order, none otherwise.
      const level = await db.stockLevel.findUniqueOrThrow({ where: { variantId: tee.redM.id } });
      const held = 5 - level.available;
      if (order) {
        assert.deepEqual(order.items.map((i: { sku: string; quantity: number }) => [i.sku, i.quantity]), [[tee.redM.sku, 2]]);
        assert.equal(held, 2, "the order holds its units");
      } else {
        assert.ok(["CART_EMPTY", "CART_CHANGED", "NOT_FOUND"].includes(outcome), `a coded refusal, got ${JSON.stringify(checkout.errors)}`);
        assert.equal(held, 0, "a refused checkout holds nothing");
      }
      // The other variant is untouched either way, and the cart no longer offers the removed one.
      const page = dataOf(await sg.query(PAGE, { id: tee.productId })).product;
      assert.deepEqual(page.variants.map((v: { title: string; stock: number }) => [v.title, v.stock]), [["Blue / M", 5]]);
    }
    assert.equal([...outcomes.values()].reduce((a, b) => a + b, 0), 6, JSON.stringify([...outcomes]));
  });
});
