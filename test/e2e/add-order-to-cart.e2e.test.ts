// "Buy again" through the gateway: a declined payment or a cancelled order leaves the cart
// empty, and addOrderToCart puts the order's items back, once however often it is clicked.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createSubgraphClient, loadConfig } from "#kernel";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { postGraphQL } from "../support/graphql-client.js";
import { codeOf, createStockedProduct, customer, dataOf, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const ADD_ORDER_TO_CART = `mutation($id: ID!) { addOrderToCart(orderId: $id) {
  orderId addedUnits
  lines { variantId variant { id } name variantTitle ordered added quantityInCart outcome }
  cart { totalQuantity hasPriceChanges items { quantity product { id } unitPrice { amount } } }
} }`;
const CART = `{ cart { totalQuantity items { quantity product { id } } } }`;
const CREATE_COUPON = `mutation($input: CreateCouponInput!) { createCoupon(input: $input) { code } }`;
const APPLY_COUPON = `mutation($code: String!) { applyCoupon(code: $code) { couponCode } }`;
const CHECKOUT_PRICED = `mutation($key: String!, $pm: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: $pm) { id couponCode discountTotal { amount } } }`;
const CHECKOUT_WITH = `mutation($key: String!, $pm: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: $pm) { id status } }`;

describeOnEngines("addOrderToCart through the gateway", (engines) => {
  let sg: CheckoutSupergraph;
  let admin: string;
  let p1: string;
  let p2: string;
  before(async () => {
    sg = await startCheckoutSupergraph({ engines, env: { RATE_LIMIT_COST_PER_MINUTE: "10000000" } });
    admin = await sg.token("admin-buy-again", ["admin"]);
    // Products of one variant each, whose variant id is the product's.
    [p1, p2] = [await createStockedProduct(sg, 500, 1500), await createStockedProduct(sg, 500, 700)];
  });
  after(() => sg?.close());

  const cartOf = async (token: string) => dataOf(await sg.query(CART, {}, token)).cart.items.map((item: any) => [item.product.id, item.quantity]).sort();

  it("puts a declined order's items back in the emptied cart, and twenty clicks at once leave the cart one click makes", async () => {
    const c = await customer(sg);
    await c.add(p1, 2);
    await c.add(p2, 1);
    const order = dataOf(await sg.query(CHECKOUT_WITH, { key: randomUUID(), pm: "pm_card_declined" }, c.token)).checkout;
    await waitForStatus(sg, c.token, order.id, "PAYMENT_FAILED");
    assert.deepEqual(await cartOf(c.token), [], "checkout took the lines");

    const answers = await Promise.all(Array.from({ length: 20 }, () => sg.query(ADD_ORDER_TO_CART, { id: order.id }, c.token)));
    const results = answers.map((answer) => dataOf(answer).addOrderToCart);
    assert.deepEqual(await cartOf(c.token), [[p1, 2], [p2, 1]].sort());
    assert.equal(results.reduce((sum, result) => sum + result.addedUnits, 0), 3, "the units were added once in all");
    const first = results.find((result) => result.addedUnits > 0);
    assert.deepEqual(first.lines.map((line: any) => [line.variantId, line.variant?.id, line.ordered, line.added, line.outcome]).sort(), [[p1, p1, 2, 2, "ADDED"], [p2, p2, 1, 1, "ADDED"]].sort());
    assert.ok(first.lines.every((line: any) => line.name.length > 0));
    assert.ok(results.filter((result) => result !== first).every((result) => result.lines.every((line: any) => line.outcome === "ALREADY_IN_CART")));
    assert.equal(first.cart.hasPriceChanges, false, "priced at today's price, nothing to accept");

    // The cart checks out again.
    const again = dataOf(await sg.query(CHECKOUT_WITH, { key: randomUUID(), pm: "pm_card_ok" }, c.token)).checkout;
    await waitForStatus(sg, c.token, again.id, "PAID");
  });

  it("puts a declined order's coupon back with its items, as its use was given back; a coupon used up since, or a kept order's, stays off", async () => {
    const code = `BACK${randomUUID().slice(0, 8).toUpperCase()}`;
    dataOf(await sg.query(CREATE_COUPON, { input: { code, type: "PERCENTAGE", value: 1000, usageLimit: 1 } }, admin));
    const couponOf = async (token: string) => dataOf(await sg.query(`{ cart { couponCode } }`, {}, token)).cart.couponCode;
    const declinedWithCoupon = async (productId: string, quantity: number) => {
      const c = await customer(sg);
      await c.add(productId, quantity);
      dataOf(await sg.query(APPLY_COUPON, { code }, c.token));
      const declined = dataOf(await sg.query(CHECKOUT_WITH, { key: randomUUID(), pm: "pm_card_declined" }, c.token)).checkout;
      await waitForStatus(sg, c.token, declined.id, "PAYMENT_FAILED");
      assert.equal(await couponOf(c.token), null, "the order took the coupon off the cart");
      return { c, declined };
    };
    const { c, declined } = await declinedWithCoupon(p1, 2);
    const { c: late, declined: lateDeclined } = await declinedWithCoupon(p2, 1);

    // Two clicks at once: the items and the coupon go back once.
    for (const answer of await Promise.all([sg.query(ADD_ORDER_TO_CART, { id: declined.id }, c.token), sg.query(ADD_ORDER_TO_CART, { id: declined.id }, c.token)])) dataOf(answer);
    assert.deepEqual(await cartOf(c.token), [[p1, 2]]);
    assert.equal(await couponOf(c.token), code, "the declined order's coupon is back on the cart");
    const paid = dataOf(await sg.query(CHECKOUT_PRICED, { key: randomUUID(), pm: "pm_card_ok" }, c.token)).checkout;
    assert.deepEqual([paid.couponCode, paid.discountTotal.amount], [code, 300], "charged what the declined order would have cost");
    await waitForStatus(sg, c.token, paid.id, "PAID");

    // The paid order kept its use: buying it again puts its items back, not its coupon.
    dataOf(await sg.query(ADD_ORDER_TO_CART, { id: paid.id }, c.token));
    assert.deepEqual([await cartOf(c.token), await couponOf(c.token)], [[[p1, 2]], null]);

    // The coupon's one use is taken now: the other declined order's items go back without it.
    const putBack = dataOf(await sg.query(ADD_ORDER_TO_CART, { id: lateDeclined.id }, late.token)).addOrderToCart;
    assert.equal(putBack.addedUnits, 1);
    assert.deepEqual([await cartOf(late.token), await couponOf(late.token)], [[[p2, 1]], null]);
  });

  it("puts a cancelled order's items back at today's price, and tells of a product gone since", async () => {
    const c = await customer(sg);
    const leaving = await createStockedProduct(sg, 5, 900);
    await c.add(p1, 1);
    await c.add(leaving, 2);
    const order = dataOf(await c.checkout()).checkout;
    dataOf(await sg.query(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, c.token));
    dataOf(await sg.query(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: leaving }, admin));
    dataOf(await sg.query(`mutation($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { id } }`, { id: p1, amount: 1700 }, admin));
    const result = dataOf(await sg.query(ADD_ORDER_TO_CART, { id: order.id }, c.token)).addOrderToCart;
    assert.deepEqual(result.cart.items.map((item: any) => [item.product.id, item.unitPrice.amount]), [[p1, 1700]], "at today's price, not the order's 1500");
    assert.equal(result.cart.hasPriceChanges, false, "nothing to accept before checkout");
    const byVariant = new Map<string, any>(result.lines.map((line: any) => [line.variantId, line]));
    assert.deepEqual([byVariant.get(p1)?.added, byVariant.get(p1)?.outcome], [1, "ADDED"]);
    assert.deepEqual([byVariant.get(leaving)?.added, byVariant.get(leaving)?.outcome], [0, "NO_LONGER_SOLD"]);
    assert.equal(byVariant.get(leaving)?.variant, null, "the catalog no longer knows the variant");
    assert.equal(byVariant.get(leaving)?.name, "Test product", "named as it was ordered");
    assert.deepEqual(await cartOf(c.token), [[p1, 1]]);
  });

  it("refuses another customer's order as a missing one, and guests", async () => {
    const owner = await customer(sg);
    const order = await owner.placeOrder({ [p1]: 1 });
    const other = await customer(sg);
    const theirs = await sg.query(ADD_ORDER_TO_CART, { id: order.id }, other.token);
    const missing = await sg.query(ADD_ORDER_TO_CART, { id: `ord_${randomUUID()}` }, other.token);
    assert.equal(codeOf(theirs), "NOT_FOUND");
    assert.equal(codeOf(missing), "NOT_FOUND");
    assert.equal(theirs.errors![0]!.message.replace(order.id, "<id>"), missing.errors![0]!.message.replace(/ord_[0-9a-f-]+/, "<id>"));
    assert.deepEqual(await cartOf(other.token), []);

    assert.equal(codeOf(await sg.query(ADD_ORDER_TO_CART, { id: order.id })), "UNAUTHENTICATED");
    const guest = dataOf(await sg.query(`mutation { createGuestCart { token } }`)).createGuestCart.token;
    const asGuest = await postGraphQL(sg.gatewayUrl, ADD_ORDER_TO_CART, { id: order.id }, { headers: { "x-cart-token": guest } });
    assert.equal(codeOf(asGuest), "UNAUTHENTICATED");
  });

  it("refuses hostile order ids with a coded answer, before anything is put back, and a declined order's items still go back once after them", async () => {
    const c = await customer(sg);
    await c.add(p1, 1);
    const order = dataOf(await c.checkout()).checkout;
    dataOf(await sg.query(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, c.token));
    for (const hostile of [`${order.id}\u0000`, "\u0000".repeat(64), `${order.id}${"x".repeat(100_000)}`, "ord_🛒", ""]) {
      const answer = await sg.query(ADD_ORDER_TO_CART, { id: hostile }, c.token);
      assert.ok(answer.errors?.length, `an answer with errors for ${JSON.stringify(hostile.slice(0, 40))}`);
      assert.ok(["BAD_USER_INPUT", "NOT_FOUND"].includes(codeOf(answer)!), `${codeOf(answer)} for ${JSON.stringify(hostile.slice(0, 40))}`);
      assert.doesNotMatch(JSON.stringify(answer), /\n\s+at /, "no stack trace");
    }
    assert.deepEqual(await cartOf(c.token), []);
    const first = dataOf(await sg.query(ADD_ORDER_TO_CART, { id: order.id }, c.token)).addOrderToCart;
    assert.equal(first.addedUnits, 1);
    assert.deepEqual(await cartOf(c.token), [[p1, 1]]);
  });

  it("reads order lines from the orders subgraph only as a service, and only for the order's own customer", async () => {
    const owner = await customer(sg);
    const order = await owner.placeOrder({ [p1]: 2 });
    const orders = createSubgraphClient({ url: sg.subgraphUrls.orders!, audience: "orders", internalSecret: loadConfig({ APP_ENV: "test" }).auth.internalSecret, serviceName: "cart" });
    const LINES = `query($userId: ID!, $orderId: ID!) { customerOrderLines(userId: $userId, orderId: $orderId) { variant { id } quantity } }`;
    try {
      const own = await orders.request<{ customerOrderLines: unknown }>(LINES, { userId: owner.userId, orderId: order.id });
      assert.deepEqual(own.customerOrderLines, [{ variant: { id: p1 }, quantity: 2 }]);
      const other = await orders.request<{ customerOrderLines: unknown }>(LINES, { userId: "someone-else", orderId: order.id });
      assert.equal(other.customerOrderLines, null, "another customer's order reads as missing");
      const asCustomer = await orders.request(LINES, { userId: owner.userId, orderId: order.id }, { identity: { userId: owner.userId, roles: ["customer"] } }).catch((error: { extensions?: { code?: string } }) => error);
      assert.equal((asCustomer as { extensions?: { code?: string } }).extensions?.code, "FORBIDDEN", "a customer's own credential does not read it");
      const COUPON = `query($userId: ID!, $orderId: ID!) { customerOrderCouponGivenBack(userId: $userId, orderId: $orderId) }`;
      const couponAsCustomer = await orders.request(COUPON, { userId: owner.userId, orderId: order.id }, { identity: { userId: owner.userId, roles: ["customer"] } }).catch((error: { extensions?: { code?: string } }) => error);
      assert.equal((couponAsCustomer as { extensions?: { code?: string } }).extensions?.code, "FORBIDDEN", "nor the order's given-back coupon");
      const STATUS = `query($userId: ID!, $orderId: ID!) { customerOrderStatus(userId: $userId, orderId: $orderId) }`;
      const status = await orders.request<{ customerOrderStatus: string | null }>(STATUS, { userId: owner.userId, orderId: order.id });
      assert.ok(["PENDING", "PAID"].includes(status.customerOrderStatus!), String(status.customerOrderStatus));
      assert.equal((await orders.request<{ customerOrderStatus: string | null }>(STATUS, { userId: "someone-else", orderId: order.id })).customerOrderStatus, null, "another customer's order's status reads as missing");
      const statusAsCustomer = await orders.request(STATUS, { userId: owner.userId, orderId: order.id }, { identity: { userId: owner.userId, roles: ["customer"] } }).catch((error: { extensions?: { code?: string } }) => error);
      assert.equal((statusAsCustomer as { extensions?: { code?: string } }).extensions?.code, "FORBIDDEN", "nor its status");
    } finally {
      await orders.close();
    }
  });
});
