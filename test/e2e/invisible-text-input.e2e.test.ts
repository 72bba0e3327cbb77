// Invisible, format and control characters in the free text of every subgraph's mutations,
// through the gateway: each is refused with BAD_USER_INPUT naming the field, and nothing is
// written. The rule itself (which characters, which fields take several lines) is proven on
// the kernel's validators in kernel/test/human-text.test.ts; this shows each subgraph uses it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, Ops, restock, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const P1 = "prod_0000011";
const ADDRESS = { recipientName: "Test Customer", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };
/** Text that reads as something else than it is, or as nothing. */
const INVISIBLE = ["\u200b", "Ada\u200b", "Re\u200dturn", "\u200eAda", "\u202eevil", "Ada\u2066x\u2069", "a\u2028b", "a\u2029b", "\u2060", "\u2064", "x\ufeffy", "\u00ad"];
/** Controls a few fields took until now (a bell, an escape sequence). */
const CONTROL = ["Too small\u0007", "\u001b[31mred", "line\nbreak"];
const HOSTILE = [...INVISIBLE, ...CONTROL];

const Q = {
  signUp: `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`,
  logIn: `mutation($email: String!) { logIn(email: $email, password: "correct horse battery") { accessToken } }`,
  addAddress: `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`,
  myAddresses: `{ me { name addresses { id } } }`,
  requestReturn: `mutation($orderId: ID!, $reason: String!) { requestReturn(orderId: $orderId, items: [{ variantId: "${P1}", quantity: 1 }], reason: $reason) { id } }`,
  refundOrder: `mutation($id: ID!, $reason: String!) { refundOrder(id: $id, amount: 1, reason: $reason, idempotencyKey: "${randomUUID()}") { id } }`,
  afterSale: `query($id: ID!) { order(id: $id) { status refunds { id } returns { id } } }`,
  createProduct: `mutation($input: CreateProductInput!) { createProduct(input: $input) { id name } }`,
  setTaxRate: `mutation($region: String, $category: String) { setTaxRate(countryCode: "AQ", region: $region, category: $category, rateBasisPoints: 1000) { region } }`,
  createShippingMethod: `mutation($name: String!) { createShippingMethod(input: { name: $name, price: 100, currency: "USD", countries: ["AQ"], minDeliveryDays: 1, maxDeliveryDays: 2 }) { id } }`,
  createCategory: `mutation($name: String!) { createCategory(input: { slug: "invisible-${randomUUID().slice(0, 6)}", name: $name }) { slug } }`,
  checkoutTo: `mutation($key: String!, $address: AddressInput!) { checkout(idempotencyKey: $key, shippingAddress: $address, shippingMethodId: "shp_standard") { id } }`,
};

/** BAD_USER_INPUT naming the field, or the answer in the failure message. */
function assertRefused(response: { errors?: { message?: string; extensions?: Record<string, any> }[] }, field: string, what: string) {
  const text = JSON.stringify(response).slice(0, 400);
  assert.equal(codeOf(response), "BAD_USER_INPUT", `${what}: ${text}`);
  assert.equal(response.errors?.[0]?.extensions?.field, field, `${what}: ${text}`);
  assert.match(response.errors![0]!.message!, new RegExp(`^${field} `), `${what}: the message names the field`);
}

describe("invisible and control characters in free text, through the gateway", { timeout: 180_000 }, () => {
  let sg: CheckoutSupergraph;
  let db: PrismaClient;
  let admin: string;

  before(async () => {
    // Every refused signUp and logIn draws on the auth budget, which is tested elsewhere.
    sg = await startCheckoutSupergraph({ env: { RATE_LIMIT_AUTH_PER_MINUTE: "1000" } });
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    admin = await sg.token("invisible-admin", ["admin"]);
    await restock(sg, [P1]);
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
  });

  it("accounts: a name or any address field of invisible or control text is refused, and no account or address is kept", async () => {
    for (const name of HOSTILE) {
      const email = `invisible-${randomUUID().slice(0, 8)}@example.com`;
      assertRefused(await sg.query(Q.signUp, { input: { email, password: "correct horse battery", name } }), "name", `signUp name ${JSON.stringify(name)}`);
      assert.equal(codeOf(await sg.query(Q.logIn, { email })), "UNAUTHENTICATED", "no account was created");
    }
    const email = `address-${randomUUID().slice(0, 8)}@example.com`;
    const token = dataOf(await sg.query(Q.signUp, { input: { email, password: "correct horse battery", name: "Ada" } })).signUp.accessToken;
    for (const text of HOSTILE) {
      for (const field of ["recipientName", "line1", "line2", "city", "postalCode", "phone"]) {
        assertRefused(await sg.query(Q.addAddress, { input: { ...ADDRESS, [field]: text } }, token), field, `addAddress ${field} ${JSON.stringify(text)}`);
      }
    }
    assert.deepEqual(dataOf(await sg.query(Q.myAddresses, {}, token)).me, { name: "Ada", addresses: [] });
  });

  it("accounts: blank-looking characters outside Cf are refused in a name, an address and as an email look-alike, while real scripts are kept", async () => {
    // Hangul fillers, braille blank, variation selectors, the grapheme joiner, private use, a noncharacter, marks alone, zalgo.
    for (const name of ["\u3164", "\u115f\u1160", "\uffa0", "\u2800", "\ufe0f", "\u{e0100}", "\u034f", "\u0301", "\u17b4", "\u180b", "\ufffc", "\ue000", "\uffff", `A${"\u0301".repeat(60)}`]) {
      const email = `blank-${randomUUID().slice(0, 8)}@example.com`;
      assertRefused(await sg.query(Q.signUp, { input: { email, password: "correct horse battery", name } }), "name", `signUp name ${JSON.stringify(name)}`);
      assert.equal(codeOf(await sg.query(Q.logIn, { email })), "UNAUTHENTICATED", "no account was created");
    }

    // Ends in q: a combining acute after it composes into nothing (after a, c or e, a random
    // hex digit, NFKC makes á, ć or é: a real letter, and no look-alike).
    const local = `x${randomUUID().slice(0, 8)}q`;
    const token = dataOf(await sg.query(Q.signUp, { input: { email: `${local}@example.com`, password: "correct horse battery", name: "김민준" } })).signUp.accessToken;
    for (const lookAlike of [`${local}\u034f@example.com`, `${local}\ufe0f@example.com`, `${local}\u3164@example.com`, `${local}\u0301@example.com`]) {
      const answer = await sg.query(Q.signUp, { input: { email: lookAlike, password: "correct horse battery", name: "Mallory" } });
      assert.deepEqual([codeOf(answer), answer.errors?.[0]?.extensions?.field], ["BAD_USER_INPUT", "email"], `signUp ${JSON.stringify(lookAlike)}: ${JSON.stringify(answer).slice(0, 300)}`);
      assert.equal(codeOf(await sg.query(Q.logIn, { email: lookAlike })), "UNAUTHENTICATED", "no second account answers to it");
    }

    for (const [field, text] of [["recipientName", "\u3164"], ["line1", "\u2800"], ["city", "\uffa0"], ["line2", "\u034f"]] as const) {
      assertRefused(await sg.query(Q.addAddress, { input: { ...ADDRESS, [field]: text } }, token), field, `addAddress ${field} ${JSON.stringify(text)}`);
    }
    const kept = { ...ADDRESS, recipientName: "देवनागरी शर्मा", line1: "ถนนสุขุมวิท 1 🇹🇭", line2: "شقة ٣ 👋🏽", city: "서울특별시" };
    dataOf(await sg.query(Q.addAddress, { input: kept }, token));
    const me = dataOf(await sg.query(`{ me { name addresses { recipientName line1 line2 city } } }`, {}, token)).me;
    assert.deepEqual(me, { name: "김민준", addresses: [{ recipientName: kept.recipientName, line1: kept.line1, line2: kept.line2, city: kept.city }] });
  });

  it("orders: a typed checkout address of invisible text is refused and places no order", async () => {
    const buyer = await customer(sg);
    await buyer.add(P1, 1);
    for (const text of INVISIBLE) {
      assertRefused(await sg.query(Q.checkoutTo, { key: randomUUID(), address: { ...ADDRESS, recipientName: text } }, buyer.token), "recipientName", `checkout ${JSON.stringify(text)}`);
    }
    assert.equal(dataOf(await sg.query(`{ orders(first: 5) { totalCount } }`, {}, buyer.token)).orders.totalCount, 0);
    assert.equal(dataOf(await sg.query(Ops.cart, {}, buyer.token)).cart.totalQuantity, 1, "the cart keeps its item");
  });

  it("orders: a return reason (customer) and a refund reason (admin) with a bell, an escape, an RTL override or only invisible text are refused, and nothing is returned or refunded", async () => {
    const c = await customer(sg);
    const order = await c.placeOrder({ [P1]: 1 });
    await waitForStatus(sg, c.token, order.id, "PAID");
    dataOf(await sg.query(Ops.shipOrder, { id: order.id }, admin));
    dataOf(await sg.query(Ops.deliverOrder, { id: order.id }, admin));
    for (const reason of HOSTILE) {
      assertRefused(await sg.query(Q.requestReturn, { orderId: order.id, reason }, c.token), "reason", `requestReturn ${JSON.stringify(reason)}`);
      assertRefused(await sg.query(Q.refundOrder, { id: order.id, reason }, admin), "reason", `refundOrder ${JSON.stringify(reason)}`);
    }
    assert.deepEqual(dataOf(await sg.query(Q.afterSale, { id: order.id }, c.token)).order, { status: "DELIVERED", refunds: [], returns: [] });
    assert.equal(await db.return.count({ where: { orderId: order.id } }), 0);
    assert.equal(await db.refund.count({ where: { orderId: order.id } }), 0);
  });

  it("products: a product's name or brand, a category's name and a description's invisible characters are refused, and the SKU stays free", async () => {
    const sku = `INV-${randomUUID().slice(0, 8).toUpperCase()}`;
    const product = { sku, name: "Lamp", description: "A lamp.\nWith a second line.", priceAmount: 1999, category: "electronics", brand: "Acme" };
    for (const text of HOSTILE) {
      assertRefused(await sg.query(Q.createProduct, { input: { ...product, name: text } }, admin), "name", `createProduct name ${JSON.stringify(text)}`);
      assertRefused(await sg.query(Q.createProduct, { input: { ...product, brand: text } }, admin), "brand", `createProduct brand ${JSON.stringify(text)}`);
      assertRefused(await sg.query(Q.createCategory, { name: text }, admin), "name", `createCategory name ${JSON.stringify(text)}`);
    }
    for (const text of INVISIBLE) {
      assertRefused(await sg.query(Q.createProduct, { input: { ...product, description: `Soft ${text} cotton` } }, admin), "description", `description ${JSON.stringify(text)}`);
    }
    const created = dataOf(await sg.query(Q.createProduct, { input: product }, admin)).createProduct;
    assert.equal(created.name, "Lamp", "the SKU was never taken, and a description keeps its line break");
  });

  it("cart: a tax rate's region or category and a shipping method's name of invisible text are refused, and nothing is stored", async () => {
    for (const text of HOSTILE) {
      assertRefused(await sg.query(Q.setTaxRate, { region: `R${text}` }, admin), "region", `setTaxRate region ${JSON.stringify(text)}`);
      assertRefused(await sg.query(Q.setTaxRate, { category: `books${text}` }, admin), "category", `setTaxRate category ${JSON.stringify(text)}`);
      assertRefused(await sg.query(Q.createShippingMethod, { name: `Express${text}` }, admin), "name", `createShippingMethod ${JSON.stringify(text)}`);
    }
    assert.equal(await db.taxRate.count({ where: { countryCode: "AQ" } }), 0);
    assert.equal(await db.shippingMethod.count({ where: { countries: { has: "AQ" } } }), 0);
  });
});
