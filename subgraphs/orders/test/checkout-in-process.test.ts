import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { metricsRegistry } from "#kernel";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "./support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, customer, dataOf, Ops, stockOf, waitForStatus } from "./support/storefront-operations.js";

/** Operations the inventory and products servers of this process answered, by name. */
async function answeredByCallees(): Promise<Record<string, number>> {
  const counter = metricsRegistry.getSingleMetric("storefront_graphql_operations_total");
  const counts: Record<string, number> = {};
  for (const { labels, value } of (await counter!.get()).values) {
    if (labels.server !== "inventory" && labels.server !== "products") continue;
    const name = `${labels.server} ${labels.operation}`;
    counts[name] = (counts[name] ?? 0) + value;
  }
  return counts;
}

const difference = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).filter(([name, count]) => count !== (before[name] ?? 0)).map(([name, count]) => [name, count - (before[name] ?? 0)]));

/**
 * With every subgraph in one process (`npm start`), the checkout prices its cart, holds the
 * stock and sells it on payment through the products and inventory services of the process,
 * not over HTTP: the same answers, three hops fewer a checkout.
 */
describeOnEngines("checkout in one process", (engines) => {
  let sg: CheckoutSupergraph;
  before(async () => {
    sg = await startCheckoutSupergraph({ engines });
  });
  after(() => sg?.close());

  it("prices, holds and sells a purchase without a request to the products or inventory server", async () => {
    const [first, second] = [await createStockedProduct(sg, 10), await createStockedProduct(sg, 10)];
    const shopper = await customer(sg);
    await shopper.add(first, 2);
    await shopper.add(second, 1);
    const before = await answeredByCallees();
    const order = dataOf(await shopper.checkout()).checkout;
    assert.equal(order.status, "PENDING");
    await waitForStatus(sg, shopper.token, order.id, "PAID");
    assert.deepEqual(difference(await answeredByCallees(), before), {}, "no ReserveStock, CommitReservation or CartVariants request");
    assert.deepEqual([await stockOf(sg, first), await stockOf(sg, second)], [8, 9]);
  });

  it("answers the inventory's refusal as the inventory words it", async () => {
    const scarce = await createStockedProduct(sg, 1);
    const [shopper, rival] = [await customer(sg), await customer(sg)];
    await shopper.add(scarce, 1);
    await rival.add(scarce, 1);
    assert.equal(dataOf(await rival.checkout()).checkout.status, "PENDING");
    const refused = await shopper.checkout();
    assert.equal(codeOf(refused), "OUT_OF_STOCK");
    const { reserved: _held, ...extensions } = refused.errors?.[0]?.extensions ?? {};
    assert.deepEqual(extensions, { code: "OUT_OF_STOCK", productId: scarce, variantId: scarce, available: 0, serviceName: "orders" });
    assert.equal(dataOf(await sg.query(Ops.cart, {}, shopper.token)).cart.totalQuantity, 1, "the cart is kept");
  });
});
