import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EmbeddedProductStore } from "../../subgraphs/products/src/adapters/embedded-product-store.js";
import { startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { customer, dataOf, restock } from "../../subgraphs/orders/test/support/storefront-operations.js";

const PAGE = `query($first: Int!) { orders(first: $first) { totalCount edges { node { id total { amount }
  items { quantity product { id name price { amount } } } statusHistory { to } } } } }`;

describe("a page of orders with their products", () => {
  let sg: CheckoutSupergraph;
  before(async () => {
    // Without the products hot cache every lookup reaches the store, where the spy counts it.
    // Popularity batches read the products they announce from the store too: none during the test.
    sg = await startCheckoutSupergraph({ env: { PRODUCT_CACHE_TTL_MS: "0", POPULARITY_FLUSH_MS: "3600000" } });
    await restock(sg, Array.from({ length: 7 }, (_, i) => `prod_00000${30 + i}`));
  });
  after(() => sg.close());

  it("costs ONE products lookup however many orders and lines it holds", async () => {
    const c = await customer(sg);
    for (let i = 0; i < 6; i++) await c.placeOrder({ [`prod_00000${30 + i}`]: 1, [`prod_00000${31 + i}`]: 2 });
    const original = EmbeddedProductStore.prototype.findByIds;
    const lookups: string[][] = [];
    EmbeddedProductStore.prototype.findByIds = function (this: EmbeddedProductStore, ids) {
      lookups.push([...ids]);
      return original.call(this, ids);
    };
    let page;
    try {
      page = dataOf(await sg.query(PAGE, { first: 6 }, c.token)).orders;
    } finally {
      EmbeddedProductStore.prototype.findByIds = original;
    }
    assert.equal(page.totalCount, 6);
    assert.equal(page.edges.length, 6);
    assert.ok(page.edges.every((e: any) => e.node.items.length === 2 && e.node.items.every((i: any) => typeof i.product.name === "string")));
    assert.equal(lookups.length, 1, `one products lookup, got ${JSON.stringify(lookups)}`);
    assert.equal(new Set(lookups[0]).size, 7, "the distinct products of the page");
  });
});
