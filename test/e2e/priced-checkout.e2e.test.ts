// A purchase with a saved address, a shipping method, tax and a coupon, through the gateway
// with the golden operations, on both engine sets: what the cart estimates is what checkout
// charges, the order keeps its snapshots, and the payment is for the order's total.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { readGoldenOperations } from "../../schema/golden-operations.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, dataOf, restock, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const op = Object.fromEntries(readGoldenOperations().map(({ name, query }) => [name, query]));
const P1 = "prod_0000006";
const half = (n: number, d: number) => Math.floor((2 * n + d) / (2 * d));
const CHECKOUT_BUDGET = 10;

describeOnEngines("a priced purchase: address, shipping, tax and a coupon", (engines) => {
  let sg: CheckoutSupergraph;
  let db: PrismaClient;
  let admin: string;
  let token: string;
  const call = async (name: string, variables: Record<string, unknown> = {}, as = token) => dataOf(await sg.query(op[name]!, variables, as));

  before(async () => {
    // A small checkout budget: coupon guesses draw on it (the purchases here stay well inside it).
    sg = await startCheckoutSupergraph({ engines, env: { RATE_LIMIT_CHECKOUT_PER_MINUTE: String(CHECKOUT_BUDGET) } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    admin = await sg.token("pricing-admin", ["admin"]);
    await restock(sg, [P1]);
    const signUp = dataOf(
      await sg.query(`mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`, {
        input: { email: `priced-${randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery staple", name: "Priced" },
      }),
    );
    token = signUp.signUp.accessToken;
  });
  after(async () => {
    await db.$disconnect();
    await sg.close();
  });

  it("completes an order that costs nothing (a 100% coupon, free shipping) without charging anyone", async () => {
    const buyer = await sg.token(`free-${randomUUID().slice(0, 8)}`);
    await call("CreateCoupon", { input: { code: "ALLFREE", type: "PERCENTAGE", value: 10_000, usageLimit: 5, perCustomerLimit: 1 } }, admin);
    await call("AddToCart", { productId: P1, quantity: 1 }, buyer);
    await call("ApplyCoupon", { code: "allfree" }, buyer);
    const placed = dataOf(await sg.query(`mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id status total { amount } } }`, { key: randomUUID() }, buyer)).checkout;
    assert.equal(placed.total.amount, 0);
    await waitForStatus(sg, buyer, placed.id, "PAID");
    const payment = await db.payment.findFirstOrThrow({ where: { orderId: placed.id } });
    assert.deepEqual([payment.status, payment.amount, payment.attempts], ["SUCCEEDED", 0, 0]);
  });

  it("estimates, then charges exactly the estimate, and keeps the address, method and coupon with the order", async () => {
    await call("SetTaxRate", { countryCode: "US", rateBasisPoints: 500 }, admin);
    await call("SetTaxRate", { countryCode: "US", region: "IL", rateBasisPoints: 1000 }, admin);
    await call("CreateCoupon", { input: { code: "Spring10", type: "PERCENTAGE", value: 1000, usageLimit: 10, perCustomerLimit: 1 } }, admin);
    const { addAddress } = await call("AddAddress", { input: { recipientName: "Pat Buyer", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" } });
    await call("AddToCart", { productId: P1, quantity: 2 });
    const { shippingMethods } = await call("ShippingMethods", { countryCode: "US" });
    const express = shippingMethods.find((m: { name: string }) => m.name === "Express");
    assert.ok(express, "the demo store ships express to the US");
    assert.equal((await call("ApplyCoupon", { code: "spring10" })).applyCoupon.couponCode, "SPRING10");

    const { cart } = await call("CartEstimate", { shippingAddressId: addAddress.id, shippingMethodId: express.id });
    const subtotal = cart.estimate.subtotal.amount;
    const discount = half(subtotal * 1000, 10_000);
    const shipping = subtotal - discount >= 20_000 ? 0 : 1499;
    const tax = half((subtotal - discount) * 1000, 10_000);
    const e = cart.estimate;
    assert.deepEqual([e.discountTotal.amount, e.shippingTotal.amount, e.taxTotal.amount, e.total.amount], [discount, shipping, tax, subtotal - discount + shipping + tax]);
    assert.equal(e.lines[0].taxRateBasisPoints, 1000, "Illinois' own rate");

    const key = randomUUID();
    const { checkout } = await call("Checkout", { idempotencyKey: key, shippingAddressId: addAddress.id, shippingMethodId: express.id });
    assert.deepEqual(
      [checkout.subtotal, checkout.discountTotal, checkout.shippingTotal, checkout.taxTotal, checkout.total],
      [e.subtotal, e.discountTotal, e.shippingTotal, e.taxTotal, e.total],
      "checkout charges what the estimate said",
    );
    assert.equal(checkout.couponCode, "SPRING10");
    const { order } = await call("OrderDetails", { id: checkout.id });
    assert.deepEqual(order.shippingAddress, { recipientName: "Pat Buyer", line1: "1 Main Street", line2: null, city: "Springfield", region: "IL", postalCode: "62701", country: "US", phone: null });
    assert.deepEqual(order.shippingMethod, { id: express.id, name: "Express", price: express.price });
    assert.equal((await db.payment.findFirstOrThrow({ where: { orderId: checkout.id } })).amount, checkout.total.amount, "the payment is for the order's total");
    await waitForStatus(sg, token, checkout.id, "PAID");

    const other = shippingMethods.find((m: { name: string }) => m.name === "Standard");
    assert.equal(codeOf(await sg.query(op.Checkout!, { idempotencyKey: key, shippingAddressId: addAddress.id, shippingMethodId: other.id }, token)), "IDEMPOTENCY_CONFLICT");
    assert.equal((await call("Cart")).cart.couponCode, null, "the order took the coupon off the cart");
  });

  it("refuses the coupon past its per-customer limit, and a client cannot send an amount", async () => {
    await call("AddToCart", { productId: P1, quantity: 1 });
    const again = await sg.query(op.ApplyCoupon!, { code: "SPRING10" }, token);
    assert.deepEqual([codeOf(again), again.errors?.[0]?.extensions?.reason], ["COUPON_INVALID", "CUSTOMER_LIMIT_REACHED"]);
    const address = { recipientName: "Pat Buyer", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };
    const withCoupon = await sg.query(op.Checkout!, { idempotencyKey: randomUUID(), shippingAddress: address, shippingMethodId: "shp_standard", couponCode: "spring10" }, token);
    assert.equal(withCoupon.errors?.[0]?.extensions?.reason, "CUSTOMER_LIMIT_REACHED");
    const priced = await sg.query(`mutation { checkout(idempotencyKey: "x", shippingMethodId: "shp_standard", total: 1) { id } }`, {}, token);
    assert.ok(priced.errors?.length, "checkout has no amount argument");
    const both = await sg.query(op.Checkout!, { idempotencyKey: randomUUID(), shippingAddressId: "adr_x", shippingAddress: address, shippingMethodId: "shp_standard" }, token);
    assert.equal(codeOf(both), "BAD_USER_INPUT");
    assert.equal((await call("Cart")).cart.totalQuantity, 1, "nothing was ordered");
  });

  it("charges each coupon code tried against the checkout budget, so codes cannot be guessed at speed", async () => {
    const guesser = await sg.token(`guesser-${randomUUID().slice(0, 8)}`);
    await call("AddToCart", { productId: P1, quantity: 1 }, guesser);
    const answers = [];
    for (let i = 0; i <= CHECKOUT_BUDGET; i++) answers.push(await sg.query(op.ApplyCoupon!, { code: `GUESS${i}` }, guesser));
    assert.ok(answers.slice(0, CHECKOUT_BUDGET).every((a) => codeOf(a) === "COUPON_INVALID"));
    const refused = answers.at(-1)!;
    assert.deepEqual([codeOf(refused), refused.errors?.[0]?.extensions?.budget], ["RATE_LIMITED", "checkout"]);
  });
  it("charges nothing when the total the customer was shown is no longer the order's (a state's tax rate set between the estimate and the click)", async () => {
    const buyer = dataOf(
      await sg.query(`mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`, {
        input: { email: `shown-${randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery staple", name: "Shown" },
      }),
    ).signUp.accessToken;
    const { addAddress } = await call("AddAddress", { input: { recipientName: "Tex Buyer", line1: "1 Main Street", city: "Austin", region: "TX", postalCode: "73301", country: "US" } }, buyer);
    await call("AddToCart", { productId: P1, quantity: 1 }, buyer);
    const destination = { shippingAddressId: addAddress.id, shippingMethodId: "shp_standard" };
    const shown = (await call("CartEstimate", destination, buyer)).cart.estimate.total.amount;
    await call("SetTaxRate", { countryCode: "US", region: "TX", rateBasisPoints: 2500 }, admin);
    const key = randomUUID();
    const refused = await sg.query(op.Checkout!, { idempotencyKey: key, ...destination, expectedTotal: shown }, buyer);
    assert.deepEqual([codeOf(refused), refused.errors?.[0]?.extensions?.expectedTotal], ["PRICE_CHANGED", shown], JSON.stringify(refused.errors));
    assert.equal((await call("Cart", {}, buyer)).cart.totalQuantity, 1, "nothing was ordered");
    const now = (await call("CartEstimate", destination, buyer)).cart.estimate.total.amount;
    assert.ok(now > shown, "the new rate is in the estimate");
    const { checkout } = await call("Checkout", { idempotencyKey: key, ...destination, expectedTotal: now }, buyer);
    assert.equal(checkout.total.amount, now, "the total shown the second time is charged");
    assert.equal((await db.payment.findFirstOrThrow({ where: { orderId: checkout.id } })).amount, now);
  });
});
