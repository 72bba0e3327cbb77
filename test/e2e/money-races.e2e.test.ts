// Races a customer with two tabs or devices and an admin at the same moment can start on the
// money and stock path, through the gateway, each ending with the money at the provider and the
// stock checked: "buy again" (addOrderToCart) racing checkout and a guest cart's merge at
// sign-in, one guest token in two sessions, and a customer's cancel racing an admin's refunds
// and shipment of the same paid order.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { createPrismaClient } from "#kernel/relational";
import type { RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { startRaceSupergraph, type RaceSupergraph } from "../support/race-supergraph.js";
import { describeOnEngines, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, customer, dataOf, Ops, stockOf, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { postGraphQL } from "../support/graphql-client.js";

const Q = {
  order: `query($id: ID!) { order(id: $id) { id status total { amount } refundedTotal { amount } refunds { status } } }`,
  refundOrder: `mutation($id: ID!, $amount: Int, $reason: String!, $key: String!) { refundOrder(id: $id, amount: $amount, reason: $reason, idempotencyKey: $key) { id } }`,
  addOrderToCart: `mutation($id: ID!) { addOrderToCart(orderId: $id) { addedUnits } }`,
  cart: `{ cart { items { quantity product { id } } } }`,
  checkout: `mutation($key: String!, $pm: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: $pm) { id items { quantity product { id } } } }`,
  createGuestCart: `mutation { createGuestCart { token } }`,
  add: `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { totalQuantity } }`,
  signUp: `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`,
  logIn: `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }`,
  restock: `mutation($id: ID!, $q: Int!, $key: String!) { restock(productId: $id, quantity: $q, idempotencyKey: $key) { available } }`,
  status: `query($id: ID!) { order(id: $id) { status total { amount } } }`,
};
const PASSWORD = "race-password-123";
const ROUNDS = 4;

describeOnEngines("money races through the gateway", (engines) => {
  let race: RaceSupergraph | undefined;
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let admin: string;
  before(async () => {
    race = await startRaceSupergraph(engines, "admin-money-races");
    ({ sg, simulator, admin } = race);
  });
  after(() => race?.close());

  const as = (cartToken: string | undefined, query: string, variables: Record<string, unknown> = {}, accessToken?: string) =>
    postGraphQL(sg.gatewayUrl, query, variables, { token: accessToken, headers: cartToken ? { "x-cart-token": cartToken } : {} });
  const cartOf = async (accessToken?: string, cartToken?: string) =>
    new Map<string, number>(dataOf(await as(cartToken, Q.cart, {}, accessToken)).cart.items.map((item: any) => [item.product.id, item.quantity]));
  const captures = (orderId: string) => simulator.ledger({ orderId }).charges.length;
  const netAtProvider = (orderId: string) => {
    const { charges, refunds } = simulator.ledger({ orderId });
    return charges.reduce((sum, c) => sum + c.amount, 0) - refunds.reduce((sum, r) => sum + r.amount, 0);
  };
  const signedUp = async () => dataOf(await as(undefined, Q.signUp, { input: { email: `race-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, name: "Race" } })).signUp.accessToken as string;

  it("checkout racing addOrderToCart of a declined order: the order is the cart as it read it or CART_CHANGED, the put-back units are never lost, one capture", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [p, q] = [await createStockedProduct(sg, 20, 1000), await createStockedProduct(sg, 20, 500)];
      const c = await customer(sg);
      await c.add(p, 2);
      await c.add(q, 1);
      const declined = dataOf(await sg.query(Q.checkout, { key: randomUUID(), pm: "pm_card_declined" }, c.token)).checkout;
      await waitForStatus(sg, c.token, declined.id, "PAYMENT_FAILED");
      await c.add(p, 1);
      const [placedAnswer, putBack] = await Promise.all([sg.query(Q.checkout, { key: randomUUID(), pm: "pm_card_ok" }, c.token), sg.query(Q.addOrderToCart, { id: declined.id }, c.token)]);
      const added = dataOf(putBack).addOrderToCart.addedUnits;
      const cart = [...(await cartOf(c.token))].sort();
      const placed = placedAnswer.data?.checkout;
      const ordered = placed ? placed.items.map((item: any) => [item.product.id, item.quantity]).sort() : null;
      if (placed && added === 3) {
        // Checkout took the one unit first; the declined order's units then went back in whole.
        assert.deepEqual(ordered, [[p, 1]]);
        assert.deepEqual(cart, [[p, 2], [q, 1]].sort());
      } else if (placed) {
        // Put back first (one more p, one q), and checkout read and bought the cart after it.
        assert.equal(added, 2);
        assert.deepEqual(ordered, [[p, 2], [q, 1]].sort());
        assert.deepEqual(cart, []);
      } else {
        // Checkout read one p, then the put-back raised that line: nothing placed, nothing held.
        assert.equal(codeOf(placedAnswer), "CART_CHANGED");
        assert.equal(added, 2);
        assert.deepEqual(cart, [[p, 2], [q, 1]].sort());
      }
      const sold = new Map<string, number>(ordered ?? []);
      if (placed) {
        await waitForStatus(sg, c.token, placed.id, "PAID");
        assert.equal(captures(placed.id), 1);
      }
      await waitFor("stock is what the order bought", async () => (await stockOf(sg, p)) === 20 - (sold.get(p) ?? 0) && (await stockOf(sg, q)) === 20 - (sold.get(q) ?? 0), { timeoutMs: 10_000 });
      assert.equal(captures(declined.id), 0);
    }
  });

  it("checkout racing another tab's removeCoupon or applyCoupon of another code: the order carries the discount of the coupon it names and no other, and the provider captures its total once", async () => {
    const codes = [`RACE10${randomUUID().slice(0, 6)}`.toUpperCase(), `RACE20${randomUUID().slice(0, 6)}`.toUpperCase()];
    for (const [code, value] of [[codes[0]!, 1000], [codes[1]!, 2000]] as const) dataOf(await sg.query(`mutation($input: CreateCouponInput!) { createCoupon(input: $input) { code } }`, { input: { code, type: "PERCENTAGE", value } }, admin));
    const checkout = `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_ok") { id couponCode subtotal { amount } discountTotal { amount } shippingTotal { amount } taxTotal { amount } total { amount } } }`;
    const otherTab = { remove: `mutation { removeCoupon { totalQuantity } }`, replace: `mutation($code: String!) { applyCoupon(code: $code) { totalQuantity } }` };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [how, edit] of Object.entries(otherTab)) {
        const p = await createStockedProduct(sg, 10, 1000);
        const c = await customer(sg);
        await c.add(p, 2);
        dataOf(await sg.query(otherTab.replace, { code: codes[0] }, c.token));
        const [placedAnswer, edited] = await Promise.all([sg.query(checkout, { key: randomUUID() }, c.token), sg.query(edit, { code: codes[1] }, c.token)]);
        const placed = placedAnswer.data?.checkout;
        // The other tab came second to a cart the checkout had emptied: nothing to put a coupon on.
        if (edited.errors) assert.deepEqual([codeOf(edited), placed?.couponCode], ["CART_EMPTY", codes[0]], `${how}: ${JSON.stringify(edited.errors)}`);
        if (!placed) {
          assert.equal(codeOf(placedAnswer), "CART_CHANGED", `${how}: ${JSON.stringify(placedAnswer.errors)}`);
          continue;
        }
        const discount = { [codes[0]!]: 200, [codes[1]!]: 400 }[placed.couponCode as string] ?? 0;
        assert.equal(placed.subtotal.amount, 2000, how);
        assert.equal(placed.discountTotal.amount, discount, `${how}: the discount is that of ${placed.couponCode}`);
        assert.equal(placed.total.amount, 2000 - discount + placed.shippingTotal.amount + placed.taxTotal.amount, how);
        await waitForStatus(sg, c.token, placed.id, "PAID");
        assert.equal(captures(placed.id), 1, how);
        assert.equal(netAtProvider(placed.id), placed.total.amount, `${how}: the provider holds the order's total`);
      }
    }
  });

  it("addOrderToCart racing a guest cart merged at sign-in: both land, in either order", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [p, q] = [await createStockedProduct(sg, 50, 1000), await createStockedProduct(sg, 50, 800)];
      const accessToken = await signedUp();
      const email = (dataOf(await as(undefined, `{ me { email } }`, {}, accessToken)).me.email) as string;
      dataOf(await as(undefined, Q.add, { productId: p, quantity: 2 }, accessToken));
      const declined = dataOf(await as(undefined, Q.checkout, { key: randomUUID(), pm: "pm_card_declined" }, accessToken)).checkout;
      await waitForStatus(sg, accessToken, declined.id, "PAYMENT_FAILED");
      const guest = dataOf(await as(undefined, Q.createGuestCart)).createGuestCart.token as string;
      dataOf(await as(guest, Q.add, { productId: p, quantity: 3 }));
      dataOf(await as(guest, Q.add, { productId: q, quantity: 1 }));
      const [putBack, login] = await Promise.all([as(undefined, Q.addOrderToCart, { id: declined.id }, accessToken), as(guest, Q.logIn, { email, password: PASSWORD })]);
      dataOf(putBack);
      dataOf(login);
      const cart = await cartOf(accessToken);
      // Put back first: 2, then the guest's 3 added to it. Merged first: 3, already at least the order's 2.
      assert.ok(cart.get(p) === 5 || cart.get(p) === 3, `p: ${cart.get(p)}`);
      assert.equal(cart.get(q), 1);
      assert.equal((await cartOf(undefined, guest)).size, 0, "the guest cart is gone");
    }
  });

  it("one guest token in two sessions: adds racing the other session's sign-in merge are all kept, in the account or the guest cart", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, 50, 1000);
      const accessToken = await signedUp();
      const email = (dataOf(await as(undefined, `{ me { email } }`, {}, accessToken)).me.email) as string;
      const guest = dataOf(await as(undefined, Q.createGuestCart)).createGuestCart.token as string;
      dataOf(await as(guest, Q.add, { productId: p, quantity: 1 }));
      const answers = await Promise.all([as(guest, Q.logIn, { email, password: PASSWORD }), ...Array.from({ length: 4 }, () => as(guest, Q.add, { productId: p, quantity: 1 }))]);
      for (const answer of answers) dataOf(answer);
      const inAccount = (await cartOf(accessToken)).get(p) ?? 0;
      const leftAsGuest = (await cartOf(undefined, guest)).get(p) ?? 0;
      assert.equal(inAccount + leftAsGuest, 5, `account ${inAccount}, guest ${leftAsGuest}`);
    }
  });

  it("a customer's cancel, an admin's refund of the rest, a partial refund and shipOrder at once on a PAID order: one end, money and stock to match", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, 10, 1000);
      const c = await customer(sg);
      const order = await c.placeOrder({ [p]: 2 });
      await waitForStatus(sg, c.token, order.id, "PAID");
      const [cancel, , , ship] = await Promise.all([
        sg.query(Ops.cancelOrder, { id: order.id }, c.token),
        sg.query(Q.refundOrder, { id: order.id, amount: null, reason: "the rest", key: randomUUID() }, admin),
        sg.query(Q.refundOrder, { id: order.id, amount: 300, reason: "a part", key: randomUUID() }, admin),
        sg.query(Ops.shipOrder, { id: order.id }, admin),
      ]);
      await waitFor("refunds paid", async () => dataOf(await sg.query(Q.order, { id: order.id }, admin)).order.refunds.every((r: { status: string }) => r.status === "SUCCEEDED"), { timeoutMs: 15_000 });
      const settled = dataOf(await sg.query(Q.order, { id: order.id }, admin)).order;
      assert.ok(settled.refundedTotal.amount <= settled.total.amount);
      assert.equal(captures(order.id), 1);
      assert.equal(netAtProvider(order.id), settled.total.amount - settled.refundedTotal.amount, `${settled.status}: the provider keeps what was not refunded`);
      const shipped = !!ship.data?.shipOrder;
      if (settled.status === "CANCELLED") assert.ok(!shipped && !!cancel.data?.cancelOrder);
      // Units come back when nothing left: a cancel, or a full refund before shipping.
      const expected = shipped ? 8 : settled.status === "CANCELLED" || settled.status === "REFUNDED" ? 10 : 8;
      await waitFor(`stock ${expected} for ${settled.status}`, async () => (await stockOf(sg, p)) === expected, { timeoutMs: 10_000 });
    }
  });

  it("a flash sale at scale: 150 buyers of 5 units, a restock of 3 sent twice amid it, every tenth card declined; then the losers again: every unit sold once, captures and stock agree", async () => {
    const BUYERS = 150;
    const p = await createStockedProduct(sg, 5, 900);
    const buyers = await Promise.all(Array.from({ length: BUYERS }, () => customer(sg)));
    for (const b of buyers) await b.add(p, 1);
    /** One tab's checkout as clients send it: SERVICE_UNAVAILABLE (OVERLOADED) is retried under its key. */
    const checkout = async (token: string, pm: string) => {
      const key = randomUUID();
      for (;;) {
        const answer = await sg.query(Q.checkout, { key, pm }, token);
        if (codeOf(answer) !== "SERVICE_UNAVAILABLE") return answer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const delivery = randomUUID();
    const [answers] = await Promise.all([
      Promise.all(buyers.map((b, i) => checkout(b.token, i % 10 === 0 ? "pm_card_declined" : "pm_card_ok"))),
      Promise.all([1, 2].map(() => sg.query(Q.restock, { id: p, q: 3, key: delivery }, admin).then(dataOf))),
    ]);
    const SUPPLY = 5 + 3;
    const placed = new Map<string, { token: string; id: string }>();
    const losers: number[] = [];
    answers.forEach((answer, i) => {
      if (answer.data?.checkout) placed.set(answer.data.checkout.id, { token: buyers[i]!.token, id: answer.data.checkout.id });
      else {
        assert.equal(codeOf(answer), "OUT_OF_STOCK", JSON.stringify(answer.errors));
        losers.push(i);
      }
    });

    // Every placed order ends PAID or PAYMENT_FAILED; then the losers (new keys, good cards) buy
    // what the declines and the restock left, for as long as the inventory says units are left.
    const settle = async () => {
      const statuses = new Map<string, { status: string; amount: number }>();
      for (const { token, id } of placed.values()) {
        await waitFor(`order ${id} settled`, async () => ["PAID", "PAYMENT_FAILED"].includes(dataOf(await sg.query(Q.status, { id }, token)).order.status), { timeoutMs: 30_000 });
        const order = dataOf(await sg.query(Q.status, { id }, token)).order;
        statuses.set(id, { status: order.status, amount: order.total.amount });
      }
      return statuses;
    };
    let statuses = await settle();
    const paidCount = () => [...statuses.values()].filter((o) => o.status === "PAID").length;
    assert.ok(paidCount() <= SUPPLY, `${paidCount()} paid of ${SUPPLY}`);
    while (losers.length > 0 && (await stockOf(sg, p)) > 0) {
      const i = losers.shift()!;
      const answer = await checkout(buyers[i]!.token, "pm_card_ok");
      if (answer.data?.checkout) placed.set(answer.data.checkout.id, { token: buyers[i]!.token, id: answer.data.checkout.id });
      else {
        assert.equal(codeOf(answer), "OUT_OF_STOCK");
        losers.push(i);
      }
      statuses = await settle();
    }
    assert.equal(paidCount(), SUPPLY, "every unit of the supply is sold, none twice");
    assert.equal(await stockOf(sg, p), 0);

    // Money: one capture of each paid order's total, none for a declined one; nothing held.
    for (const [id, { status, amount }] of statuses) {
      const { charges, refunds } = simulator.ledger({ orderId: id });
      assert.deepEqual([charges.map((c) => c.amount), refunds.length], [status === "PAID" ? [amount] : [], 0], `${id} ${status}`);
    }
    const db = createPrismaClient(sg.databaseUrl, { poolSize: 1 });
    try {
      assert.equal(await db.reservation.count({ where: { id: { in: [...placed.keys()] }, status: "HELD" } }), 0, "no hold left");
      const sold = await db.orderItem.aggregate({ _sum: { quantity: true }, where: { productId: p, order: { status: "PAID" } } });
      assert.equal(sold._sum.quantity, SUPPLY);
    } finally {
      await db.$disconnect();
    }
  });
});
