// Sales tax cannot be dodged by how a region is spelled, through the gateway: with 10 % set for
// Illinois, a US address taxes the same whether its state is IL, Illinois or full-width ＩＬ,
// and an address whose state cannot be told (I L, none at all) is refused before anything is
// written. The rule itself is proven on regionOf in kernel/test/address-region.test.ts.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, customer, dataOf, restock } from "../../subgraphs/orders/test/support/storefront-operations.js";

const P1 = "prod_0000012";
const ADDRESS = { recipientName: "Tax Payer", line1: "1 Main Street", city: "Springfield", postalCode: "62701", country: "US" };
const Q = {
  setTaxRate: `mutation($country: String!, $region: String) { setTaxRate(countryCode: $country, region: $region, rateBasisPoints: 1000) { countryCode region } }`,
  estimate: `query($region: String) { cart { subtotal { amount } estimate(countryCode: "US", region: $region) { taxTotal { amount } } } }`,
  checkout: `mutation($key: String!, $address: AddressInput!) { checkout(idempotencyKey: $key, shippingAddress: $address, shippingMethodId: "shp_standard") { id subtotal { amount } taxTotal { amount } shippingAddress { region } } }`,
  addAddress: `mutation($input: AddressInput!) { addAddress(input: $input) { id region } }`,
  signUp: `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`,
  addresses: `{ me { addresses { id region } } }`,
  updateAddress: `mutation($id: ID!, $input: AddressChanges!) { updateAddress(id: $id, input: $input) { region postalCode } }`,
};
const tenPercent = (amount: number) => Math.floor((2 * amount * 1000 + 10_000) / 20_000);

describe("tax regions, through the gateway", { timeout: 120_000 }, () => {
  let sg: CheckoutSupergraph;
  let db: PrismaClient;
  let admin: string;

  before(async () => {
    sg = await startCheckoutSupergraph();
    db = createPrismaClient(sg.databaseUrl, { poolSize: 2 });
    admin = await sg.token("tax-admin", ["admin"]);
    await restock(sg, [P1]);
    assert.deepEqual(dataOf(await sg.query(Q.setTaxRate, { country: "US", region: "Illinois" }, admin)).setTaxRate, { countryCode: "US", region: "IL" });
  });
  after(async () => {
    await db?.$disconnect();
    await sg?.close();
  });

  it("refuses a US state it cannot tell, or none, at checkout, in an estimate, in the address book and for a tax rate, writing nothing", async () => {
    const buyer = await customer(sg);
    await buyer.add(P1, 1);
    for (const region of ["I L", "Ill", "XX", null]) {
      const placed = await sg.query(Q.checkout, { key: randomUUID(), address: { ...ADDRESS, region } }, buyer.token);
      assert.deepEqual([codeOf(placed), placed.errors?.[0]?.extensions?.field], ["BAD_USER_INPUT", "region"], JSON.stringify(placed));
      assert.match(placed.errors![0]!.message, /ISO 3166-2 code such as IL, or its name such as Illinois/);
      if (region !== null) assert.equal(codeOf(await sg.query(Q.estimate, { region }, buyer.token)), "BAD_USER_INPUT", `estimate ${region}`);
      assert.equal(codeOf(await sg.query(Q.setTaxRate, { country: "US", region: region ?? "Illinoi" }, admin)), "BAD_USER_INPUT", `setTaxRate ${region}`);
    }
    // An estimate before any address is known: the country's own rates (none here), not a refusal.
    assert.equal(dataOf(await sg.query(Q.estimate, { region: null }, buyer.token)).cart.estimate.taxTotal.amount, 0);
    assert.equal(await db.order.count({ where: { userId: buyer.userId } }), 0, "no order placed");
    assert.deepEqual((await db.taxRate.findMany({ where: { countryCode: "US" } })).map((rate) => rate.region), ["IL"], "no other rate stored");

    const token = dataOf(await sg.query(Q.signUp, { input: { email: `tax-${randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", name: "Tax Payer" } })).signUp.accessToken;
    for (const region of ["I L", null]) assert.equal(codeOf(await sg.query(Q.addAddress, { input: { ...ADDRESS, region } }, token)), "BAD_USER_INPUT");
    assert.equal(codeOf(await sg.query(Q.addAddress, { input: { ...ADDRESS, region: "Ontario", country: "CA", postalCode: "M5V 3L9" } }, token)), undefined, "a Canadian province");
    assert.equal(codeOf(await sg.query(Q.addAddress, { input: { ...ADDRESS, region: "Ontario" } }, token)), "BAD_USER_INPUT", "not a US state");
    assert.deepEqual(dataOf(await sg.query(Q.addresses, {}, token)).me.addresses.map((a: { region: string }) => a.region), ["ON"]);
  });

  it("refuses a ZIP code of another state than the address names, typed at checkout, saved or changed, so the state the parcel goes to is the one taxed", async () => {
    const buyer = await customer(sg);
    await buyer.add(P1, 1);
    // Springfield, Illinois's ZIP code with Oregon (no tax) written beside it: the carrier delivers to Illinois.
    const dodge = { ...ADDRESS, region: "OR", postalCode: "62701" };
    const placed = await sg.query(Q.checkout, { key: randomUUID(), address: dodge }, buyer.token);
    assert.deepEqual([codeOf(placed), placed.errors?.[0]?.extensions?.field], ["BAD_USER_INPUT", "postalCode"], JSON.stringify(placed));
    assert.equal(placed.errors![0]!.message, "postalCode 62701 is IL's, not OR's: give the region the postal code is in");
    assert.equal(await db.order.count({ where: { userId: buyer.userId } }), 0, "no order placed");

    const token = dataOf(await sg.query(Q.signUp, { input: { email: `zip-${randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", name: "Zip Payer" } })).signUp.accessToken;
    assert.equal(codeOf(await sg.query(Q.addAddress, { input: dodge }, token)), "BAD_USER_INPUT", "saved with another state");
    const { id } = dataOf(await sg.query(Q.addAddress, { input: { ...ADDRESS, region: "IL" } }, token)).addAddress;
    for (const input of [{ region: "OR" }, { postalCode: "97201" }, { country: "CA", region: "Ontario" }]) {
      const changed = await sg.query(Q.updateAddress, { id, input }, token);
      assert.deepEqual([codeOf(changed), changed.errors?.[0]?.extensions?.field], ["BAD_USER_INPUT", "postalCode"], JSON.stringify(input));
    }
    assert.deepEqual(dataOf(await sg.query(Q.updateAddress, { id, input: { region: "Oregon", postalCode: "97201-1234" } }, token)).updateAddress, { region: "OR", postalCode: "97201-1234" });

    const honest = dataOf(await sg.query(Q.checkout, { key: randomUUID(), address: { ...ADDRESS, region: "IL", postalCode: " 62701 " } }, buyer.token)).checkout;
    assert.equal(honest.taxTotal.amount, tenPercent(honest.subtotal.amount));
  });

  it("taxes Illinois the same however its name is spelled, and keeps the state's code with the order", async () => {
    for (const region of ["IL", "Illinois", "\uff29\uff2c", "us-il"]) {
      const buyer = await customer(sg);
      await buyer.add(P1, 1);
      const { cart } = dataOf(await sg.query(Q.estimate, { region }, buyer.token));
      const tax = tenPercent(cart.subtotal.amount);
      assert.ok(tax > 0);
      assert.equal(cart.estimate.taxTotal.amount, tax, `estimate for ${JSON.stringify(region)}`);
      const placed = dataOf(await sg.query(Q.checkout, { key: randomUUID(), address: { ...ADDRESS, region } }, buyer.token)).checkout;
      assert.deepEqual([placed.taxTotal.amount, placed.shippingAddress.region], [tax, "IL"], `checkout for ${JSON.stringify(region)}`);
    }
  });
});
