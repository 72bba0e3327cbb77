// A customer edits the cart in another tab while its checkout is in flight, and an admin changes
// a price or removes a product meanwhile. Each round ends with an audit: the order charges what
// it records (lines, total, one capture of that total), the cart keeps what the order did not
// take, and every unit is either sold to a paid order or back on sale once the system is quiet.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import type { RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { startRaceSupergraph, type RaceSupergraph } from "../support/race-supergraph.js";
import { describeOnEngines, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { postGraphQL } from "../support/graphql-client.js";
import { codeOf, createStockedProduct, customer, dataOf, Ops, stockOf, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";

const ROUNDS = 5;
const Q = {
  checkout: `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_ok") {
    id total { amount } subtotal { amount } items { quantity product { id } unitPrice { amount } } } }`,
  order: `query($id: ID!) { order(id: $id) { id status total { amount } items { quantity product { id } unitPrice { amount } } } }`,
  cartLines: `{ cart { items { quantity product { id } } } }`,
  setPrice: `mutation($id: ID!, $price: Int!) { updateProduct(id: $id, input: { priceAmount: $price }) { id } }`,
  deleteProduct: `mutation($id: ID!) { deleteProduct(id: $id) }`,
  createGuestCart: `mutation { createGuestCart { token } }`,
  signUp: `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`,
  logIn: `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }`,
};
const PASSWORD = "edits-password-123";

describeOnEngines("cart edits during checkout", (engines) => {
  let race: RaceSupergraph | undefined;
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let admin: string;
  before(async () => {
    race = await startRaceSupergraph(engines, "admin-cart-edits");
    ({ sg, simulator, admin } = race);
  });
  after(() => race?.close());

  const cartOf = async (token: string) => new Map<string, number>(dataOf(await sg.query(Q.cartLines, {}, token)).cart.items.map((item: any) => [item.product.id, item.quantity]));

  /** The order as recorded is what the provider captured, once; returns its units per product. */
  async function auditPlaced(token: string, orderId: string): Promise<Map<string, number>> {
    await waitForStatus(sg, token, orderId, "PAID");
    const order = dataOf(await sg.query(Q.order, { id: orderId }, token)).order;
    const { charges } = simulator.ledger({ orderId });
    assert.equal(charges.length, 1, "one capture");
    assert.equal(charges[0]!.amount, order.total.amount, "the capture is the recorded total");
    const lines = order.items.reduce((sum: number, item: any) => sum + item.quantity * item.unitPrice.amount, 0);
    assert.equal(order.total.amount, lines, "free shipping, no tax, no coupon: the total is its lines");
    return new Map(order.items.map((item: any) => [item.product.id, item.quantity]));
  }

  async function stockSettles(productId: string, expected: number): Promise<void> {
    let last: number | undefined;
    await waitFor(`stock of ${productId} back to ${expected}`, async () => (last = await stockOf(sg, productId)) === expected, { timeoutMs: 90_000, intervalMs: 200 }).catch((error) => {
      throw new Error(`${(error as Error).message} (last ${last})`);
    });
  }

  it("another tab changes the quantity of the line being checked out, removes it, or adds another product: the order is the cart it read, the rest stays, stock adds up", async () => {
    const edits = {
      bump: (c: { token: string }, p: string) => sg.query(Ops.updateCartItem, { productId: p, quantity: 3 }, c.token),
      lower: (c: { token: string }, p: string) => sg.query(Ops.updateCartItem, { productId: p, quantity: 1 }, c.token),
      remove: (c: { token: string }, p: string) => sg.query(Ops.removeFromCart, { productId: p }, c.token),
      addOther: (c: { token: string }, _p: string, q: string) => sg.query(Ops.addToCart, { productId: q, quantity: 1 }, c.token),
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [how, edit] of Object.entries(edits)) {
        const [p, q] = [await createStockedProduct(sg, 10, 1000), await createStockedProduct(sg, 10, 300)];
        const c = await customer(sg);
        await c.add(p, 2);
        const [placedAnswer, edited] = await Promise.all([sg.query(Q.checkout, { key: randomUUID() }, c.token), edit(c, p, q)]);
        const placed = placedAnswer.data?.checkout;
        const cart = await cartOf(c.token);
        let sold = new Map<string, number>();
        if (placed) {
          sold = await auditPlaced(c.token, placed.id);
          assert.ok(!cart.has(p) || (how !== "remove" && !sold.has(p)), `${how}: ${JSON.stringify([...cart])}`);
        } else {
          assert.ok(["CART_CHANGED", "CART_EMPTY"].includes(codeOf(placedAnswer)), `${how}: ${JSON.stringify(placedAnswer.errors)}`);
        }
        if (edited.errors) assert.ok(["NOT_FOUND"].includes(codeOf(edited)), `${how}: ${JSON.stringify(edited.errors)}`);
        await stockSettles(p, 10 - (sold.get(p) ?? 0));
        await stockSettles(q, 10 - (sold.get(q) ?? 0));
      }
    }
  });

  it("an admin changes the price or the customer's other tab accepts it while checkout runs: the order charges the prices it records, once", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, 10, 1000);
      const c = await customer(sg);
      await c.add(p, 2);
      const [placedAnswer] = await Promise.all([
        sg.query(Q.checkout, { key: randomUUID() }, c.token),
        sg.query(Q.setPrice, { id: p, price: 1500 }, admin).then(() => sg.query(Ops.acceptCartPrices, {}, c.token)),
      ]);
      const placed = placedAnswer.data?.checkout;
      let sold = new Map<string, number>();
      if (placed) sold = await auditPlaced(c.token, placed.id);
      else assert.ok(["CART_CHANGED", "PRICE_CHANGED"].includes(codeOf(placedAnswer)), JSON.stringify(placedAnswer.errors));
      await stockSettles(p, 10 - (sold.get(p) ?? 0));
    }
  });

  it("an admin deletes one of the cart's products while it is checked out: the order charges what it records, the deleted product is sold only if the order took it, stock adds up", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [p, q] = [await createStockedProduct(sg, 10, 1000), await createStockedProduct(sg, 10, 300)];
      const c = await customer(sg);
      await c.add(p, 2);
      await c.add(q, 1);
      const [placedAnswer, deleted] = await Promise.all([sg.query(Q.checkout, { key: randomUUID() }, c.token), sg.query(Q.deleteProduct, { id: p }, admin)]);
      dataOf(deleted);
      const placed = placedAnswer.data?.checkout;
      let sold = new Map<string, number>();
      if (placed) sold = await auditPlaced(c.token, placed.id);
      else assert.ok(["CART_CHANGED", "NOT_FOUND", "PRICE_CHANGED"].includes(codeOf(placedAnswer)), JSON.stringify(placedAnswer.errors));
      assert.equal(sold.get(q) ?? 0, placed ? 1 : 0);
      await stockSettles(q, 10 - (sold.get(q) ?? 0));
    }
  });

  it("one guest cart signed into two accounts at once: its lines land in exactly one of them, once, and the guest cart is gone", async () => {
    const account = async () => {
      const email = `edits-${randomUUID().slice(0, 8)}@example.com`;
      dataOf(await sg.query(Q.signUp, { input: { email, password: PASSWORD, name: "Edits" } }));
      return email;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, 50, 1000);
      const [a, b] = [await account(), await account()];
      const guest = dataOf(await sg.query(Q.createGuestCart)).createGuestCart.token as string;
      const asGuest = (query: string, variables: Record<string, unknown> = {}) => postGraphQL(sg.gatewayUrl, query, variables, { headers: { "x-cart-token": guest } });
      dataOf(await asGuest(Ops.addToCart, { productId: p, quantity: 3 }));
      const logins = await Promise.all([asGuest(Q.logIn, { email: a, password: PASSWORD }), asGuest(Q.logIn, { email: b, password: PASSWORD })]);
      const tokens = logins.map((login) => dataOf(login).logIn.accessToken as string);
      const held = await Promise.all(tokens.map(async (token) => (await cartOf(token)).get(p) ?? 0));
      assert.deepEqual([...held].sort(), [0, 3], `a ${held[0]}, b ${held[1]}`);
      assert.equal((dataOf(await asGuest(Q.cartLines)).cart?.items ?? []).length, 0, "the guest cart is gone");
    }
  });

  it("the saved address being checked out to is edited or removed in another tab: the order ships to one whole version of it or is refused, charged once, stock adds up", async () => {
    const checkoutTo = `mutation($key: String!, $address: ID!) { checkout(idempotencyKey: $key, shippingAddressId: $address, shippingMethodId: "shp_standard", paymentMethod: "pm_card_ok") {
      id total { amount } shippingAddress { line1 city postalCode } items { quantity product { id } unitPrice { amount } } } }`;
    const addAddress = `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`;
    const edits = {
      edit: (token: string, id: string) => sg.query(`mutation($id: ID!) { updateAddress(id: $id, input: { line1: "2 Other Road", city: "Peoria", postalCode: "61602" }) { id } }`, { id }, token),
      remove: (token: string, id: string) => sg.query(`mutation($id: ID!) { removeAddress(id: $id) }`, { id }, token),
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [how, edit] of Object.entries(edits)) {
        const p = await createStockedProduct(sg, 10, 1000);
        const email = `edits-${randomUUID().slice(0, 8)}@example.com`;
        const token = dataOf(await sg.query(Q.signUp, { input: { email, password: PASSWORD, name: "Edits" } })).signUp.accessToken as string;
        const address = dataOf(
          await sg.query(addAddress, { input: { recipientName: "Edits", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US", makeDefault: true } }, token),
        ).addAddress.id as string;
        dataOf(await sg.query(Ops.addToCart, { productId: p, quantity: 2 }, token));
        const [placedAnswer, edited] = await Promise.all([sg.query(checkoutTo, { key: randomUUID(), address }, token), edit(token, address)]);
        dataOf(edited);
        const placed = placedAnswer.data?.checkout;
        let sold = new Map<string, number>();
        if (placed) {
          const shipsTo = [placed.shippingAddress.line1, placed.shippingAddress.city, placed.shippingAddress.postalCode].join("|");
          assert.ok(["1 Main Street|Springfield|62701", "2 Other Road|Peoria|61602"].includes(shipsTo), `${how}: ${shipsTo}`);
          sold = await auditPlaced(token, placed.id);
        } else {
          assert.equal(codeOf(placedAnswer), "NOT_FOUND", `${how}: ${JSON.stringify(placedAnswer.errors)}`);
          assert.equal(how, "remove");
        }
        await stockSettles(p, 10 - (sold.get(p) ?? 0));
      }
    }
  });
});
