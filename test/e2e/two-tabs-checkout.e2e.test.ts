// One account in two tabs (or on two devices) through the gateway: tab A checks out while tab B
// edits the cart, signs in elsewhere with a guest cart, edits or removes the saved address the
// checkout ships to, or logs the session out. Whichever comes first, the order is the cart and
// the address as the checkout read them (or a coded refusal holding and charging nothing), the
// provider captures the order's total once, no unit is sold or lost twice, and the other tab's
// change is kept where it belongs.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, dataOf, stockOf, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { postGraphQL, type GraphQLResponse } from "../support/graphql-client.js";

const ROUNDS = 4;
const STOCK = 50;
const PASSWORD = "two-tabs-password-1";
const ORDER_FIELDS = `id status total { amount } subtotal { amount } taxTotal { amount } shippingTotal { amount } discountTotal { amount } shippingAddress { region } items { quantity product { id } }`;
const Q = {
  checkout: `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_ok") { ${ORDER_FIELDS} } }`,
  checkoutToSaved: `mutation($key: String!, $address: ID!) { checkout(idempotencyKey: $key, shippingAddressId: $address, shippingMethodId: "shp_standard", paymentMethod: "pm_card_ok") { ${ORDER_FIELDS} } }`,
  cart: `{ cart { items { quantity product { id } } } }`,
  add: `mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { totalQuantity } }`,
  update: `mutation($p: ID!, $q: Int!) { updateCartItem(productId: $p, quantity: $q) { totalQuantity } }`,
  remove: `mutation($p: ID!) { removeFromCart(productId: $p) { totalQuantity } }`,
  accept: `mutation { acceptCartPrices { hasPriceChanges } }`,
  signUp: `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken } }`,
  logIn: `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`,
  logOut: `mutation($t: String!) { logOut(refreshToken: $t) }`,
  createGuestCart: `mutation { createGuestCart { token } }`,
  addAddress: `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`,
  updateAddress: `mutation($id: ID!, $input: AddressChanges!) { updateAddress(id: $id, input: $input) { id } }`,
  removeAddress: `mutation($id: ID!) { removeAddress(id: $id) }`,
  setTaxRate: `mutation($r: String!, $bp: Int!) { setTaxRate(countryCode: "US", region: $r, rateBasisPoints: $bp) { rateBasisPoints } }`,
  setPrice: `mutation($id: ID!, $price: Int!) { updateProduct(id: $id, input: { priceAmount: $price }) { id } }`,
  order: `query($id: ID!) { order(id: $id) { status } }`,
  checkoutDeclined: `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_declined") { id } }`,
  putBack: `mutation($id: ID!) { addOrderToCart(orderId: $id) { addedUnits lines { outcome quantityInCart } } }`,
};

type Lines = Map<string, number>;
const linesOf = (items: { quantity: number; product: { id: string } }[]): Lines => new Map(items.map((item) => [item.product.id, item.quantity]));
const sorted = (lines: Lines) => [...lines].filter(([, quantity]) => quantity > 0).sort(([a], [b]) => a.localeCompare(b));

describeOnEngines("one account checking out in one tab while another tab changes what it reads", (engines) => {
  let sg: CheckoutSupergraph;
  let simulator: RunningPaymentSimulator;
  let admin: string;
  before(async () => {
    simulator = await startPaymentSimulator({ latencyMs: 10 });
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url, RATE_LIMIT_COST_PER_MINUTE: "10000000", RATE_LIMIT_AUTH_PER_MINUTE: "100000", RATE_LIMIT_GUEST_CARTS_PER_MINUTE: "100000", PRODUCT_CACHE_TTL_MS: "0" } });
    admin = await sg.token("admin-two-tabs", ["customer", "admin"]);
  });
  after(async () => {
    await sg?.close();
    await simulator?.close();
  });

  const send = (query: string, variables: Record<string, unknown>, token?: string, cartToken?: string): Promise<GraphQLResponse> =>
    postGraphQL(sg.gatewayUrl, query, variables, { token, headers: cartToken ? { "x-cart-token": cartToken } : {} });
  const cartOf = async (token: string | undefined, cartToken?: string) => linesOf(dataOf(await send(Q.cart, {}, token, cartToken)).cart.items);
  const signedUp = async () => {
    const email = `tabs-${randomUUID().slice(0, 8)}@example.com`;
    const session = dataOf(await send(Q.signUp, { input: { email, password: PASSWORD, name: "Tabs" } })).signUp;
    return { email, token: session.accessToken as string, refreshToken: session.refreshToken as string };
  };
  /**
   * The money and stock of a race's outcome: a placed order is paid with one capture of its
   * total, and every product's stock is down by exactly the units the order bought.
   */
  const settled = async (token: string, placed: { id: string; total: { amount: number } } | undefined, ordered: Lines, products: string[]) => {
    if (placed) {
      await waitForStatus(sg, token, placed.id, "PAID");
      const { charges } = simulator.ledger({ orderId: placed.id });
      assert.deepEqual(charges.map((charge) => charge.amount), [placed.total.amount], "one capture of the order's total");
    }
    for (const product of products) {
      await waitFor(`stock of ${product} is what the order bought`, async () => (await stockOf(sg, product)) === STOCK - (ordered.get(product) ?? 0), { timeoutMs: 15_000 });
    }
  };

  it("checkout racing the other tab's cart edits (a line lowered, raised, removed, another added, prices accepted): the order is the cart it read or CART_CHANGED, and the edit is kept in the cart", async () => {
    type Edit = { name: string; run(token: string, p: string, q: string): Promise<GraphQLResponse>; leaves: (p: string, q: string) => [string, number][] };
    const edits: Edit[] = [
      { name: "lowered", run: (token, p) => send(Q.update, { p, q: 1 }, token), leaves: (p, q) => [[p, 1], [q, 1]] },
      { name: "raised", run: (token, p) => send(Q.update, { p, q: 3 }, token), leaves: (p, q) => [[p, 3], [q, 1]] },
      { name: "removed", run: (token, p) => send(Q.remove, { p }, token), leaves: (_p, q) => [[q, 1]] },
      { name: "another added", run: (token, _p, q) => send(Q.add, { p: q, q: 2 }, token), leaves: (p, q) => [[p, 2], [q, 3]] },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const edit of edits) {
        const [p, q] = [await createStockedProduct(sg, STOCK, 1000), await createStockedProduct(sg, STOCK, 700)];
        const token = await sg.token(`tabs-${randomUUID().slice(0, 8)}`);
        dataOf(await send(Q.add, { p, q: 2 }, token));
        dataOf(await send(Q.add, { p: q, q: 1 }, token));
        const before: Lines = new Map([[p, 2], [q, 1]]);
        const edited: Lines = new Map(edit.leaves(p, q));
        const [checkoutAnswer, editAnswer] = await Promise.all([send(Q.checkout, { key: randomUUID() }, token), edit.run(token, p, q)]);
        const placed = checkoutAnswer.data?.checkout;
        const ordered = placed ? linesOf(placed.items) : new Map<string, number>();
        const cart = await cartOf(token);
        const how = `${edit.name}: ${JSON.stringify([checkoutAnswer.errors, editAnswer.errors])}`;
        if (!placed) {
          assert.equal(codeOf(checkoutAnswer), "CART_CHANGED", how);
          dataOf(editAnswer);
          assert.deepEqual(sorted(cart), sorted(edited), `${how}: the edit kept, nothing taken`);
        } else if (sorted(ordered).join() === sorted(before).join()) {
          // Checkout first: the edit came to an empty cart (an add or a removal of an absent line
          // answers the cart; a quantity set on a line the order took is NOT_FOUND).
          if (editAnswer.errors) assert.equal(codeOf(editAnswer), "NOT_FOUND", how);
          const left = edit.name === "another added" ? [[q, 2]] : [];
          assert.deepEqual(sorted(cart), left, how);
        } else {
          // The edit first: the order is the edited cart, and the cart is empty.
          dataOf(editAnswer);
          assert.deepEqual(sorted(ordered), sorted(edited), how);
          assert.deepEqual(sorted(cart), [], how);
        }
        await settled(token, placed, ordered, [p, q]);
      }
    }
  });

  it("a declined order retried from two tabs, one after the other or at once: its items go back once and one order buys them, captured once; the other tab's put-back adds nothing and its checkout is CART_EMPTY", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const how of ["one after the other", "at once"] as const) {
        const [p, q] = [await createStockedProduct(sg, STOCK, 1000), await createStockedProduct(sg, STOCK, 700)];
        const token = await sg.token(`tabs-${randomUUID().slice(0, 8)}`);
        dataOf(await send(Q.add, { p, q: 2 }, token));
        dataOf(await send(Q.add, { p: q, q: 1 }, token));
        const declined = dataOf(await send(Q.checkoutDeclined, { key: randomUUID() }, token)).checkout;
        await waitForStatus(sg, token, declined.id, "PAYMENT_FAILED");
        // Each tab: "retry" puts the declined order's items back, then checks out under a key of its own.
        const retry = async () => {
          const putBack = dataOf(await send(Q.putBack, { id: declined.id }, token)).addOrderToCart;
          return { putBack, checkout: await send(Q.checkout, { key: randomUUID() }, token) };
        };
        const tabs = how === "at once" ? await Promise.all([retry(), retry()]) : [await retry(), await retry()];
        const placed = tabs.map((tab) => tab.checkout.data?.checkout).filter(Boolean);
        assert.equal(placed.length, 1, `${how}: ${JSON.stringify(tabs.map((tab) => tab.checkout.errors))}`);
        const refused = tabs.find((tab) => !tab.checkout.data?.checkout)!;
        assert.equal(codeOf(refused.checkout), "CART_EMPTY", JSON.stringify(refused.checkout.errors));
        assert.equal(tabs.reduce((units, tab) => units + tab.putBack.addedUnits, 0), 3, `${how}: the order's 3 units put back once in all`);
        if (how === "one after the other") assert.deepEqual(tabs[1]!.putBack.lines, [{ outcome: "ALREADY_PUT_BACK", quantityInCart: 0 }, { outcome: "ALREADY_PUT_BACK", quantityInCart: 0 }]);
        assert.deepEqual(sorted(linesOf(placed[0].items)), sorted(new Map([[p, 2], [q, 1]])));
        assert.deepEqual(sorted(await cartOf(token)), [], "nothing left to buy a second time");
        await settled(token, placed[0], linesOf(placed[0].items), [p, q]);
      }
    }
  });

  it("checkout racing an acceptCartPrices of a raised price: the order charges the price the cart accepted, or PRICE_CHANGED with nothing held", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, STOCK, 1000);
      const token = await sg.token(`tabs-${randomUUID().slice(0, 8)}`);
      dataOf(await send(Q.add, { p, q: 2 }, token));
      dataOf(await send(Q.setPrice, { id: p, price: 1200 }, admin));
      const [checkoutAnswer, accepted] = await Promise.all([send(Q.checkout, { key: randomUUID() }, token), send(Q.accept, {}, token)]);
      const placed = checkoutAnswer.data?.checkout;
      if (placed) {
        assert.equal(placed.subtotal.amount, 2400, "the order is priced at the accepted price, never the old one");
        if (accepted.errors) assert.equal(codeOf(accepted), "CART_EMPTY", JSON.stringify(accepted.errors));
      } else {
        assert.equal(codeOf(checkoutAnswer), "PRICE_CHANGED", JSON.stringify(checkoutAnswer.errors));
        dataOf(accepted);
      }
      await settled(token, placed, placed ? linesOf(placed.items) : new Map(), [p]);
    }
  });

  it("checkout racing a sign-in on another device that merges a guest cart: no unit of either cart is lost or sold twice", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [p, q] = [await createStockedProduct(sg, STOCK, 1000), await createStockedProduct(sg, STOCK, 600)];
      const account = await signedUp();
      dataOf(await send(Q.add, { p, q: 2 }, account.token));
      const guest = dataOf(await send(Q.createGuestCart, {})).createGuestCart.token as string;
      dataOf(await send(Q.add, { p, q: 1 }, undefined, guest));
      dataOf(await send(Q.add, { p: q, q: 3 }, undefined, guest));
      const [checkoutAnswer, login] = await Promise.all([send(Q.checkout, { key: randomUUID() }, account.token), send(Q.logIn, { e: account.email, p: PASSWORD }, undefined, guest)]);
      dataOf(login);
      const placed = checkoutAnswer.data?.checkout;
      if (!placed) assert.equal(codeOf(checkoutAnswer), "CART_CHANGED", JSON.stringify(checkoutAnswer.errors));
      const ordered = placed ? linesOf(placed.items) : new Map<string, number>();
      const cart = await cartOf(account.token);
      assert.equal((await cartOf(undefined, guest)).size, 0, "the guest cart is gone: merged once");
      // Every unit of both carts is in the order or in the account's cart, once.
      for (const [product, units] of [[p, 3], [q, 3]] as const) assert.equal((ordered.get(product) ?? 0) + (cart.get(product) ?? 0), units, `units of ${product}`);
      await settled(account.token, placed, ordered, [p, q]);
    }
  });

  it("checkout to a saved address racing the other tab's edit of its state or its removal: the order's tax is its address's, or the checkout is refused holding nothing", async () => {
    const [taxed, untaxed] = [`IL`, `OR`];
    dataOf(await send(Q.setTaxRate, { r: taxed, bp: 1000 }, admin));
    dataOf(await send(Q.setTaxRate, { r: untaxed, bp: 0 }, admin));
    const address = { recipientName: "Tabs", line1: "1 Main Street", city: "Springfield", region: taxed, postalCode: "62701", country: "US" };
    for (let round = 0; round < ROUNDS; round++) {
      for (const how of ["moved", "removed"] as const) {
        const p = await createStockedProduct(sg, STOCK, 1000);
        const account = await signedUp();
        const addressId = dataOf(await send(Q.addAddress, { input: address }, account.token)).addAddress.id as string;
        dataOf(await send(Q.add, { p, q: 2 }, account.token));
        const other = how === "moved" ? send(Q.updateAddress, { id: addressId, input: { region: untaxed, city: "Portland", postalCode: "97201" } }, account.token) : send(Q.removeAddress, { id: addressId }, account.token);
        const [checkoutAnswer, edited] = await Promise.all([send(Q.checkoutToSaved, { key: randomUUID(), address: addressId }, account.token), other]);
        dataOf(edited);
        const placed = checkoutAnswer.data?.checkout;
        if (placed) {
          const rate = placed.shippingAddress.region === taxed ? 0.1 : 0;
          assert.equal(placed.taxTotal.amount, Math.round(placed.subtotal.amount * rate), `${how}: the tax of ${placed.shippingAddress.region}, the order's address`);
          assert.equal(placed.total.amount, placed.subtotal.amount + placed.taxTotal.amount + placed.shippingTotal.amount - placed.discountTotal.amount);
        } else {
          assert.equal(how, "removed", JSON.stringify(checkoutAnswer.errors));
          assert.equal(codeOf(checkoutAnswer), "NOT_FOUND", JSON.stringify(checkoutAnswer.errors));
          assert.deepEqual(sorted(await cartOf(account.token)), [[p, 2]], "the cart untouched");
        }
        await settled(account.token, placed, placed ? linesOf(placed.items) : new Map(), [p]);
      }
    }
  });

  it("checkout racing a log-out of its own session: the order is placed and paid once, or refused UNAUTHENTICATED holding and charging nothing", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await createStockedProduct(sg, STOCK, 1000);
      const account = await signedUp();
      dataOf(await send(Q.add, { p, q: 2 }, account.token));
      const [checkoutAnswer, loggedOut] = await Promise.all([send(Q.checkout, { key: randomUUID() }, account.token), send(Q.logOut, { t: account.refreshToken })]);
      assert.deepEqual(dataOf(loggedOut), { logOut: true });
      const placed = checkoutAnswer.data?.checkout;
      if (!placed) assert.equal(codeOf(checkoutAnswer), "UNAUTHENTICATED", JSON.stringify(checkoutAnswer.errors));
      assert.equal(codeOf(await send(Q.cart, {}, account.token)), "UNAUTHENTICATED", "the session is over");
      const again = dataOf(await send(Q.logIn, { e: account.email, p: PASSWORD })).logIn.accessToken as string;
      if (placed) await settled(again, placed, linesOf(placed.items), [p]);
      else {
        assert.deepEqual(sorted(await cartOf(again)), [[p, 2]], "the cart kept for the next sign-in");
        await settled(again, undefined, new Map(), [p]);
      }
    }
  });
});
