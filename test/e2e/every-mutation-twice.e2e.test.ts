// Every mutation the gateway offers, sent twice through it: once as a phone resends a request
// whose answer was lost (one after the other), once as a double click (both at once). The table
// below is the contract a demanding client codes against: what the repeat answers, and that
// the work (money, stock, a row, a mail) is done once. A repeat answers what the first call did,
// or the state it left (a line already removed answers the cart, not NOT_FOUND); where the API
// takes an idempotency key, that key sent with other input is IDEMPOTENCY_CONFLICT. A mutation
// added to the schema without a row here fails the first test.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import sharp from "sharp";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { codeOf, createStockedProduct, dataOf, stockOf, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { postGraphQL, type GraphQLResponse } from "../support/graphql-client.js";
import { mailsTo, mailTo } from "../support/mail-folder.js";

type Answer = GraphQLResponse;
/** Sends one request. */
type Send = () => Promise<Answer>;
/** Sends the same request twice, as the mode under test does. */
type Twice = (send: Send) => Promise<[Answer, Answer]>;

const MODES: { name: string; twice: Twice }[] = [
  { name: "resent after a lost answer", twice: async (send) => [await send(), await send()] },
  { name: "double clicked", twice: (send) => Promise.all([send(), send()]) },
];

const PASSWORD = "twice-password-123";
const ADDRESS = { recipientName: "Ada Twice", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" };
const CHECKOUT = `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}, paymentMethod: "pm_card_ok") { id status total { amount } } }`;
const CART = `{ cart { totalQuantity couponCode items { quantity product { id } } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { status total { amount } refundedTotal { amount } refunds { id } returns { id status } } }`;

interface World {
  sg: CheckoutSupergraph;
  simulator: RunningPaymentSimulator;
  admin: string;
  mailDir: string;
}

/** Both answers, which must carry no errors, as data. */
const both = (answers: [Answer, Answer]) => answers.map((answer) => dataOf(answer));

/**
 * One row per mutation: `answers` says what the repeat answers (the test's name), `run` sends
 * the mutation twice with `twice` and checks the answers and that the work was done once.
 */
interface RepeatCase {
  answers: string;
  run(world: World, twice: Twice): Promise<void>;
}

const send = (world: World, query: string, variables: Record<string, unknown> = {}, token?: string, cartToken?: string): Promise<Answer> =>
  postGraphQL(world.sg.gatewayUrl, query, variables, { token, headers: cartToken ? { "x-cart-token": cartToken } : {} });

async function account(world: World) {
  const email = `twice-${randomUUID().slice(0, 8)}@example.com`;
  const session = dataOf(await send(world, `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }`, { input: { email, password: PASSWORD, name: "Ada" } })).signUp;
  return { email, accessToken: session.accessToken as string, refreshToken: session.refreshToken as string, userId: session.user.id as string };
}

async function linkToken(world: World, kind: string, to: string): Promise<string> {
  let mail: string | undefined;
  await waitFor(`the ${kind} mail to ${to}`, () => (mail = mailTo(world.mailDir, kind, to)) !== undefined, { timeoutMs: 20_000 });
  return /#token=([A-Za-z0-9_-]+)/.exec(mail!)![1]!;
}

/**
 * How many mails of this kind `to` has, once the first is there and a second had the time of
 * a slow delivery to follow it (a second one comes from the same Kafka partition just behind it).
 */
async function mailCount(world: World, kind: string, to: string): Promise<number> {
  await waitFor(`the ${kind} mail to ${to}`, () => mailsTo(world.mailDir, kind, to).length > 0, { timeoutMs: 20_000 });
  await waitFor(`a second ${kind} mail to ${to}`, () => mailsTo(world.mailDir, kind, to).length > 1, { timeoutMs: 3_000 }).catch(() => undefined);
  return mailsTo(world.mailDir, kind, to).length;
}

async function shopper(world: World, lines: Record<string, number> = {}) {
  const token = await world.sg.token(`twice-${randomUUID().slice(0, 8)}`);
  for (const [productId, quantity] of Object.entries(lines)) {
    dataOf(await send(world, `mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { totalQuantity } }`, { p: productId, q: quantity }, token));
  }
  const cart = async () => dataOf(await send(world, CART, {}, token)).cart;
  return { token, cart };
}

async function paidOrder(world: World, quantity = 2) {
  const product = await createStockedProduct(world.sg, 10, 1000);
  const customer = await shopper(world, { [product]: quantity });
  const order = dataOf(await send(world, CHECKOUT, { key: randomUUID() }, customer.token)).checkout;
  await waitForStatus(world.sg, customer.token, order.id, "PAID");
  return { product, token: customer.token, id: order.id as string, total: order.total.amount as number };
}

async function deliveredOrder(world: World) {
  const order = await paidOrder(world);
  dataOf(await send(world, `mutation($id: ID!) { shipOrder(id: $id) { status } }`, { id: order.id }, world.admin));
  dataOf(await send(world, `mutation($id: ID!) { deliverOrder(id: $id) { status } }`, { id: order.id }, world.admin));
  const variantId = dataOf(await send(world, `query($id: ID!) { product(id: $id) { variants { id } } }`, { id: order.product })).product.variants[0].id as string;
  return { ...order, variantId };
}

const orderOf = async (world: World, id: string) => dataOf(await send(world, ORDER, { id }, world.admin)).order;
const captures = (world: World, orderId: string) => world.simulator.ledger({ orderId }).charges.length;
const refundsAtProvider = (world: World, orderId: string) => world.simulator.ledger({ orderId }).refunds.length;

async function optionedProduct(world: World) {
  const sku = `TW-${randomUUID().slice(0, 8)}`.toUpperCase();
  const input = {
    sku,
    name: "Twice tee",
    description: "d",
    category: "books",
    brand: "b",
    options: [{ name: "Size", values: ["S", "M", "L"] }],
    variants: [
      { sku: `${sku}-S`, options: [{ name: "Size", value: "S" }], priceAmount: 1000 },
      { sku: `${sku}-M`, options: [{ name: "Size", value: "M" }], priceAmount: 1100 },
    ],
  };
  const product = dataOf(await send(world, `mutation($input: CreateProductInput!) { createProduct(input: $input) { id variants { id } } }`, { input }, world.admin)).createProduct;
  return { sku, id: product.id as string, variantIds: product.variants.map((v: { id: string }) => v.id) as string[] };
}

const productInput = (sku = `TW-${randomUUID().slice(0, 8)}`.toUpperCase()) => ({ sku, name: "Twice mug", description: "d", priceAmount: 900, category: "books", brand: "b" });

/** The table: every public mutation, what its repeat answers. */
const REPEATS: Record<string, RepeatCase> = {
  // ---- accounts
  signUp: {
    answers: "the same sign-up again signs the one account in; the email holds one account",
    async run(world, twice) {
      const input = { email: `twice-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, name: "Ada" };
      const answers = both(await twice(() => send(world, `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`, { input })));
      assert.equal(answers[0].signUp.user.id, answers[1].signUp.user.id);
      for (const answer of answers) assert.equal(dataOf(await send(world, `{ me { id } }`, {}, answer.signUp.accessToken)).me.id, answers[0].signUp.user.id);
    },
  },
  logIn: {
    answers: "each log-in signs the account in (a session each); a guest cart merges once",
    async run(world, twice) {
      const user = await account(world);
      const product = await createStockedProduct(world.sg, 10);
      const guest = dataOf(await send(world, `mutation { createGuestCart { token } }`)).createGuestCart.token as string;
      dataOf(await send(world, `mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { totalQuantity } }`, { p: product }, undefined, guest));
      const answers = both(await twice(() => send(world, `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { user { id } } }`, { e: user.email, p: PASSWORD }, undefined, guest)));
      for (const answer of answers) assert.equal(answer.logIn.user.id, user.userId);
      assert.equal(dataOf(await send(world, CART, {}, user.accessToken)).cart.totalQuantity, 2, "the guest's two units, merged once");
    },
  },
  refreshToken: {
    answers: "the same refresh token again is handed the same successor; the session goes on",
    async run(world, twice) {
      const user = await account(world);
      const answers = both(await twice(() => send(world, `mutation($t: String!) { refreshToken(refreshToken: $t) { refreshToken } }`, { t: user.refreshToken })));
      assert.equal(answers[0].refreshToken.refreshToken, answers[1].refreshToken.refreshToken);
      dataOf(await send(world, `mutation($t: String!) { refreshToken(refreshToken: $t) { refreshToken } }`, { t: answers[0].refreshToken.refreshToken }));
    },
  },
  logOut: {
    answers: "true again: the session stays ended",
    async run(world, twice) {
      const user = await account(world);
      const answers = both(await twice(() => send(world, `mutation($t: String!) { logOut(refreshToken: $t) }`, { t: user.refreshToken })));
      assert.deepEqual(answers, [{ logOut: true }, { logOut: true }]);
      assert.equal(codeOf(await send(world, `{ me { id } }`, {}, user.accessToken)), "UNAUTHENTICATED");
    },
  },
  addAddress: {
    answers: "the address saved the first time; the book holds it once",
    async run(world, twice) {
      const user = await account(world);
      const answers = both(await twice(() => send(world, `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`, { input: ADDRESS }, user.accessToken)));
      assert.equal(answers[0].addAddress.id, answers[1].addAddress.id);
      assert.equal(dataOf(await send(world, `{ me { addresses { id } } }`, {}, user.accessToken)).me.addresses.length, 1);
    },
  },
  updateAddress: {
    answers: "the address as changed",
    async run(world, twice) {
      const user = await account(world);
      const id = dataOf(await send(world, `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`, { input: ADDRESS }, user.accessToken)).addAddress.id;
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { updateAddress(id: $id, input: { city: "Shelbyville" }) { id city } }`, { id }, user.accessToken)));
      assert.deepEqual(answers[0], answers[1]);
      assert.equal(answers[0].updateAddress.city, "Shelbyville");
    },
  },
  removeAddress: {
    answers: "the id removed, again; an id that was never this account's stays NOT_FOUND",
    async run(world, twice) {
      const [user, other] = [await account(world), await account(world)];
      const add = `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`;
      const id = dataOf(await send(world, add, { input: ADDRESS }, user.accessToken)).addAddress.id;
      const othersId = dataOf(await send(world, add, { input: ADDRESS }, other.accessToken)).addAddress.id;
      const remove = (address: string, token: string) => send(world, `mutation($id: ID!) { removeAddress(id: $id) }`, { id: address }, token);
      assert.deepEqual(both(await twice(() => remove(id, user.accessToken))), [{ removeAddress: id }, { removeAddress: id }]);
      assert.deepEqual(dataOf(await send(world, `{ me { addresses { id } } }`, {}, user.accessToken)).me.addresses, []);
      assert.equal(codeOf(await remove(othersId, user.accessToken)), "NOT_FOUND", "another account's address");
      assert.equal(codeOf(await remove(`adr_${"0".repeat(24)}`, user.accessToken)), "NOT_FOUND", "an id never issued");
      assert.equal(dataOf(await send(world, `{ me { addresses { id } } }`, {}, other.accessToken)).me.addresses.length, 1);
    },
  },
  setDefaultAddress: {
    answers: "the address, the default",
    async run(world, twice) {
      const user = await account(world);
      const add = `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`;
      dataOf(await send(world, add, { input: ADDRESS }, user.accessToken));
      const id = dataOf(await send(world, add, { input: { ...ADDRESS, line1: "2 Side Street" } }, user.accessToken)).addAddress.id;
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { setDefaultAddress(id: $id) { id isDefault } }`, { id }, user.accessToken)));
      assert.deepEqual(answers, [{ setDefaultAddress: { id, isDefault: true } }, { setDefaultAddress: { id, isDefault: true } }]);
    },
  },
  requestPasswordReset: {
    answers: "true again, as for an email without an account; one link mailed, which resets the password",
    async run(world, twice) {
      const user = await account(world);
      const ask = (email: string) => send(world, `mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: email });
      assert.deepEqual(both(await twice(() => ask(user.email))), [{ requestPasswordReset: true }, { requestPasswordReset: true }]);
      assert.deepEqual(both(await twice(() => ask(`nobody-${randomUUID().slice(0, 8)}@example.com`))), [{ requestPasswordReset: true }, { requestPasswordReset: true }]);
      assert.equal(await mailCount(world, "password_reset", user.email), 1);
      const token = await linkToken(world, "password_reset", user.email);
      assert.deepEqual(dataOf(await send(world, `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`, { t: token, p: "twice-reset-password-7" })), { resetPassword: true });
    },
  },
  resetPassword: {
    answers: "true again while the link lives; the new password is set once and works",
    async run(world, twice) {
      const user = await account(world);
      dataOf(await send(world, `mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: user.email }));
      const token = await linkToken(world, "password_reset", user.email);
      const answers = both(await twice(() => send(world, `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`, { t: token, p: "twice-new-password-9" })));
      assert.deepEqual(answers, [{ resetPassword: true }, { resetPassword: true }]);
      dataOf(await send(world, `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`, { e: user.email, p: "twice-new-password-9" }));
    },
  },
  verifyEmail: {
    answers: "true again; the email verified once",
    async run(world, twice) {
      const user = await account(world);
      const token = await linkToken(world, "email_verification", user.email);
      const answers = both(await twice(() => send(world, `mutation($t: String!) { verifyEmail(token: $t) }`, { t: token })));
      assert.deepEqual(answers, [{ verifyEmail: true }, { verifyEmail: true }]);
      assert.equal(dataOf(await send(world, `{ me { emailVerified } }`, {}, user.accessToken)).me.emailVerified, true);
    },
  },
  resendVerificationEmail: {
    answers: "true again; within a minute of the sign-up's mail nothing more is mailed, and its link verifies",
    async run(world, twice) {
      const user = await account(world);
      await linkToken(world, "email_verification", user.email);
      const answers = both(await twice(() => send(world, `mutation { resendVerificationEmail }`, {}, user.accessToken)));
      assert.deepEqual(answers, [{ resendVerificationEmail: true }, { resendVerificationEmail: true }]);
      assert.equal(await mailCount(world, "email_verification", user.email), 1);
      dataOf(await send(world, `mutation($t: String!) { verifyEmail(token: $t) }`, { t: await linkToken(world, "email_verification", user.email) }));
      assert.equal(dataOf(await send(world, `{ me { emailVerified } }`, {}, user.accessToken)).me.emailVerified, true);
    },
  },

  // ---- cart
  addToCart: {
    answers: "under one key the cart with the units added once; the key with another quantity IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const product = await createStockedProduct(world.sg, 10);
      const customer = await shopper(world);
      const key = randomUUID();
      const add = (quantity: number) => send(world, `mutation($p: ID!, $q: Int!, $k: String) { addToCart(productId: $p, quantity: $q, idempotencyKey: $k) { totalQuantity } }`, { p: product, q: quantity, k: key }, customer.token);
      assert.deepEqual(both(await twice(() => add(2))), [{ addToCart: { totalQuantity: 2 } }, { addToCart: { totalQuantity: 2 } }]);
      assert.equal(codeOf(await add(3)), "IDEMPOTENCY_CONFLICT");
      assert.equal((await customer.cart()).totalQuantity, 2);
    },
  },
  updateCartItem: {
    answers: "the cart with the line at the quantity set; under one key, the key with another quantity IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const product = await createStockedProduct(world.sg, 10);
      const customer = await shopper(world, { [product]: 1 });
      const update = (quantity: number, key?: string) => send(world, `mutation($p: ID!, $q: Int!, $k: String) { updateCartItem(productId: $p, quantity: $q, idempotencyKey: $k) { totalQuantity } }`, { p: product, q: quantity, k: key }, customer.token);
      assert.deepEqual(both(await twice(() => update(3))), [{ updateCartItem: { totalQuantity: 3 } }, { updateCartItem: { totalQuantity: 3 } }]);
      const key = randomUUID();
      assert.deepEqual(both(await twice(() => update(4, key))), [{ updateCartItem: { totalQuantity: 4 } }, { updateCartItem: { totalQuantity: 4 } }]);
      assert.equal(codeOf(await update(5, key)), "IDEMPOTENCY_CONFLICT");
    },
  },
  removeFromCart: {
    answers: "the cart without the line, with or without a key (not NOT_FOUND); a line never in the cart stays NOT_FOUND only when the variant is unknown",
    async run(world, twice) {
      const [product, kept] = [await createStockedProduct(world.sg, 10), await createStockedProduct(world.sg, 10)];
      const customer = await shopper(world, { [product]: 2, [kept]: 1 });
      const answers = both(await twice(() => send(world, `mutation($p: ID!) { removeFromCart(productId: $p) { totalQuantity items { product { id } } } }`, { p: product }, customer.token)));
      for (const answer of answers) assert.deepEqual(answer.removeFromCart, { totalQuantity: 1, items: [{ product: { id: kept } }] });
      const key = randomUUID();
      const keyed = both(await twice(() => send(world, `mutation($p: ID!, $k: String) { removeFromCart(productId: $p, idempotencyKey: $k) { totalQuantity } }`, { p: kept, k: key }, customer.token)));
      assert.deepEqual(keyed, [{ removeFromCart: { totalQuantity: 0 } }, { removeFromCart: { totalQuantity: 0 } }]);
      assert.equal(codeOf(await send(world, `mutation($p: ID!, $k: String) { removeFromCart(productId: $p, idempotencyKey: $k) { totalQuantity } }`, { p: product, k: key }, customer.token)), "IDEMPOTENCY_CONFLICT");
      assert.equal(codeOf(await send(world, `mutation { removeFromCart(productId: "prod_9999999") { totalQuantity } }`, {}, customer.token)), "NOT_FOUND");
    },
  },
  addOrderToCart: {
    answers: "the order's units in the cart once: the repeat finds them there and adds nothing; a declined order's, once for good: after that cart's checkout, ALREADY_PUT_BACK",
    async run(world, twice) {
      const putBack = (id: string, token: string) => send(world, `mutation($id: ID!) { addOrderToCart(orderId: $id) { addedUnits lines { outcome } cart { totalQuantity } } }`, { id }, token);
      const order = await paidOrder(world, 2);
      const answers = both(await twice(() => putBack(order.id, order.token)));
      assert.deepEqual(answers.map((a) => a.addOrderToCart.addedUnits).sort(), [0, 2]);
      assert.equal(dataOf(await send(world, CART, {}, order.token)).cart.totalQuantity, 2);

      const product = await createStockedProduct(world.sg, 10, 1000);
      const customer = await shopper(world, { [product]: 2 });
      const declined = dataOf(await send(world, CHECKOUT.replace("pm_card_ok", "pm_card_declined"), { key: randomUUID() }, customer.token)).checkout;
      await waitForStatus(world.sg, customer.token, declined.id, "PAYMENT_FAILED");
      assert.deepEqual(both(await twice(() => putBack(declined.id, customer.token))).map((a) => a.addOrderToCart.addedUnits).sort(), [0, 2]);
      const paid = dataOf(await send(world, CHECKOUT, { key: randomUUID() }, customer.token)).checkout;
      const late = both(await twice(() => putBack(declined.id, customer.token)));
      for (const answer of late) assert.deepEqual(answer.addOrderToCart, { addedUnits: 0, lines: [{ outcome: "ALREADY_PUT_BACK" }], cart: { totalQuantity: 0 } });
      await waitForStatus(world.sg, customer.token, paid.id, "PAID");
      assert.equal(await stockOf(world.sg, product), 8, "the declined order's units sold once");
    },
  },
  acceptCartPrices: {
    answers: "the cart with its prices accepted",
    async run(world, twice) {
      const product = await createStockedProduct(world.sg, 10, 1000);
      const customer = await shopper(world, { [product]: 1 });
      dataOf(await send(world, `mutation($id: ID!) { updateProduct(id: $id, input: { priceAmount: 1200 }) { id } }`, { id: product }, world.admin));
      const answers = both(await twice(() => send(world, `mutation { acceptCartPrices { hasPriceChanges subtotal { amount } } }`, {}, customer.token)));
      assert.deepEqual(answers, [{ acceptCartPrices: { hasPriceChanges: false, subtotal: { amount: 1200 } } }, { acceptCartPrices: { hasPriceChanges: false, subtotal: { amount: 1200 } } }]);
    },
  },
  createGuestCart: {
    answers: "a token each: nothing is stored until a line is added, so a repeat costs nothing",
    async run(world, twice) {
      const answers = both(await twice(() => send(world, `mutation { createGuestCart { token cart { totalQuantity } } }`)));
      for (const answer of answers) assert.equal(answer.createGuestCart.cart.totalQuantity, 0);
    },
  },
  applyCoupon: {
    answers: "the cart with the coupon; under one key, the key with another code IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const [code, other] = [`TW${randomUUID().slice(0, 8)}`.toUpperCase(), `TW${randomUUID().slice(0, 8)}`.toUpperCase()];
      for (const c of [code, other]) dataOf(await send(world, `mutation($c: String!) { createCoupon(input: { code: $c, type: PERCENTAGE, value: 1000 }) { code } }`, { c }, world.admin));
      const product = await createStockedProduct(world.sg, 10);
      const customer = await shopper(world, { [product]: 1 });
      const apply = (c: string, key?: string) => send(world, `mutation($c: String!, $k: String) { applyCoupon(code: $c, idempotencyKey: $k) { couponCode } }`, { c, k: key }, customer.token);
      assert.deepEqual(both(await twice(() => apply(code))), [{ applyCoupon: { couponCode: code } }, { applyCoupon: { couponCode: code } }]);
      const key = randomUUID();
      assert.deepEqual(both(await twice(() => apply(other, key))), [{ applyCoupon: { couponCode: other } }, { applyCoupon: { couponCode: other } }]);
      assert.equal(codeOf(await apply(code, key)), "IDEMPOTENCY_CONFLICT");
    },
  },
  removeCoupon: {
    answers: "the cart without a coupon",
    async run(world, twice) {
      const code = `TW${randomUUID().slice(0, 8)}`.toUpperCase();
      dataOf(await send(world, `mutation($c: String!) { createCoupon(input: { code: $c, type: PERCENTAGE, value: 1000 }) { code } }`, { c: code }, world.admin));
      const product = await createStockedProduct(world.sg, 10);
      const customer = await shopper(world, { [product]: 1 });
      dataOf(await send(world, `mutation($c: String!) { applyCoupon(code: $c) { couponCode } }`, { c: code }, customer.token));
      const answers = both(await twice(() => send(world, `mutation { removeCoupon { couponCode } }`, {}, customer.token)));
      assert.deepEqual(answers, [{ removeCoupon: { couponCode: null } }, { removeCoupon: { couponCode: null } }]);
    },
  },
  createShippingMethod: {
    answers: "the one method made, with or without a key; a key with other terms IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const country = "NZ";
      const input = { name: `Twice ${randomUUID().slice(0, 8)}`, price: 500, currency: "USD", countries: [country], minDeliveryDays: 2, maxDeliveryDays: 5 };
      const create = (key?: string, terms = input) => send(world, `mutation($input: CreateShippingMethodInput!, $k: String) { createShippingMethod(input: $input, idempotencyKey: $k) { id } }`, { input: terms, k: key }, world.admin);
      const methodsNamed = async (name: string) => dataOf(await send(world, `query($c: String!) { shippingMethods(countryCode: $c) { name } }`, { c: country })).shippingMethods.filter((m: { name: string }) => m.name === name).length;
      const unkeyed = both(await twice(() => create()));
      assert.equal(unkeyed[0].createShippingMethod.id, unkeyed[1].createShippingMethod.id);
      assert.equal(await methodsNamed(input.name), 1);
      const key = randomUUID();
      const keyedInput = { ...input, name: `${input.name} keyed` };
      const keyed = both(await twice(() => create(key, keyedInput)));
      assert.equal(keyed[0].createShippingMethod.id, keyed[1].createShippingMethod.id);
      assert.equal(codeOf(await create(key, { ...keyedInput, price: 600 })), "IDEMPOTENCY_CONFLICT");
      assert.equal(await methodsNamed(keyedInput.name), 1);
    },
  },
  setTaxRate: {
    answers: "the rate set; one rate for the place",
    async run(world, twice) {
      const region = `R${randomUUID().slice(0, 6)}`;
      const answers = both(await twice(() => send(world, `mutation($r: String) { setTaxRate(countryCode: "DE", region: $r, rateBasisPoints: 1900) { region rateBasisPoints } }`, { r: region }, world.admin)));
      assert.deepEqual(answers[0], answers[1]);
    },
  },
  createCoupon: {
    answers: "the coupon made the first time; the code with other terms CONFLICT",
    async run(world, twice) {
      const code = `TW${randomUUID().slice(0, 8)}`.toUpperCase();
      const create = (value: number) => send(world, `mutation($c: String!, $v: Int!) { createCoupon(input: { code: $c, type: PERCENTAGE, value: $v }) { id } }`, { c: code, v: value }, world.admin);
      const answers = both(await twice(() => create(1000)));
      assert.equal(answers[0].createCoupon.id, answers[1].createCoupon.id);
      assert.equal(codeOf(await create(2000)), "CONFLICT");
    },
  },

  // ---- inventory
  restock: {
    answers: "the level with the delivery added once; the key with another quantity IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const product = await createStockedProduct(world.sg, 5);
      const key = randomUUID();
      const restock = (quantity: number) => send(world, `mutation($p: ID!, $q: Int!, $k: String!) { restock(productId: $p, quantity: $q, idempotencyKey: $k) { available } }`, { p: product, q: quantity, k: key }, world.admin);
      both(await twice(() => restock(3)));
      assert.equal(codeOf(await restock(4)), "IDEMPOTENCY_CONFLICT");
      assert.equal(await stockOf(world.sg, product), 8);
    },
  },

  // ---- orders
  checkout: {
    answers: "under one key the one order, charged once, its units sold once",
    async run(world, twice) {
      const product = await createStockedProduct(world.sg, 10, 1000);
      const customer = await shopper(world, { [product]: 2 });
      const key = randomUUID();
      const answers = both(await twice(() => send(world, CHECKOUT, { key }, customer.token)));
      assert.equal(answers[0].checkout.id, answers[1].checkout.id);
      await waitForStatus(world.sg, customer.token, answers[0].checkout.id, "PAID");
      assert.equal(captures(world, answers[0].checkout.id), 1);
      assert.equal(await stockOf(world.sg, product), 8);
    },
  },
  cancelOrder: {
    answers: "the order, CANCELLED; refunded once, its units back once",
    async run(world, twice) {
      const order = await paidOrder(world);
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, order.token)));
      assert.deepEqual(answers, [{ cancelOrder: { status: "CANCELLED" } }, { cancelOrder: { status: "CANCELLED" } }]);
      await waitFor("the refund paid", () => refundsAtProvider(world, order.id) === 1, { timeoutMs: 15_000 });
      await waitFor("the units back", async () => (await stockOf(world.sg, order.product)) === 10, { timeoutMs: 15_000 });
      assert.equal(refundsAtProvider(world, order.id), 1);
    },
  },
  shipOrder: {
    answers: "the order, SHIPPED",
    async run(world, twice) {
      const order = await paidOrder(world);
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { shipOrder(id: $id) { status } }`, { id: order.id }, world.admin)));
      assert.deepEqual(answers, [{ shipOrder: { status: "SHIPPED" } }, { shipOrder: { status: "SHIPPED" } }]);
    },
  },
  deliverOrder: {
    answers: "the order, DELIVERED",
    async run(world, twice) {
      const order = await paidOrder(world);
      dataOf(await send(world, `mutation($id: ID!) { shipOrder(id: $id) { status } }`, { id: order.id }, world.admin));
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { deliverOrder(id: $id) { status } }`, { id: order.id }, world.admin)));
      assert.deepEqual(answers, [{ deliverOrder: { status: "DELIVERED" } }, { deliverOrder: { status: "DELIVERED" } }]);
    },
  },
  refundOrder: {
    answers: "under one key the one refund, paid once; the key with another amount IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const order = await paidOrder(world);
      const key = randomUUID();
      const refund = (amount: number) => send(world, `mutation($id: ID!, $a: Int, $k: String!) { refundOrder(id: $id, amount: $a, reason: "twice", idempotencyKey: $k) { id } }`, { id: order.id, a: amount, k: key }, world.admin);
      const answers = both(await twice(() => refund(300)));
      assert.equal(answers[0].refundOrder.id, answers[1].refundOrder.id);
      assert.equal(codeOf(await refund(400)), "IDEMPOTENCY_CONFLICT");
      assert.equal((await orderOf(world, order.id)).refundedTotal.amount, 300);
      await waitFor("the refund paid", () => refundsAtProvider(world, order.id) === 1, { timeoutMs: 15_000 });
    },
  },
  requestReturn: {
    answers: "the one return, with or without a key; a key with other lines IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const order = await deliveredOrder(world);
      const request = (quantity: number, key?: string) =>
        send(world, `mutation($o: ID!, $v: ID!, $q: Int!, $k: String) { requestReturn(orderId: $o, items: [{ variantId: $v, quantity: $q }], reason: "twice", idempotencyKey: $k) { id } }`, { o: order.id, v: order.variantId, q: quantity, k: key }, order.token);
      const unkeyed = both(await twice(() => request(1)));
      assert.equal(unkeyed[0].requestReturn.id, unkeyed[1].requestReturn.id);
      const key = randomUUID();
      const keyed = both(await twice(() => request(1, key)));
      assert.equal(keyed[0].requestReturn.id, keyed[1].requestReturn.id);
      assert.equal(codeOf(await request(2, key)), "IDEMPOTENCY_CONFLICT");
      assert.equal((await orderOf(world, order.id)).returns.length, 2);
    },
  },
  approveReturn: {
    answers: "the return, APPROVED; refunded and restocked once",
    async run(world, twice) {
      const order = await deliveredOrder(world);
      const returned = dataOf(await send(world, `mutation($o: ID!, $v: ID!) { requestReturn(orderId: $o, items: [{ variantId: $v, quantity: 1 }], reason: "twice") { id } }`, { o: order.id, v: order.variantId }, order.token)).requestReturn;
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { approveReturn(id: $id) { status refund { id } } }`, { id: returned.id }, world.admin)));
      assert.deepEqual(answers[0], answers[1]);
      assert.equal(answers[0].approveReturn.status, "APPROVED");
      assert.equal((await orderOf(world, order.id)).refundedTotal.amount, 1000);
      await waitFor("the unit back", async () => (await stockOf(world.sg, order.product)) === 9, { timeoutMs: 15_000 });
      await waitFor("the refund paid", () => refundsAtProvider(world, order.id) === 1, { timeoutMs: 15_000 });
    },
  },
  rejectReturn: {
    answers: "the return, REJECTED",
    async run(world, twice) {
      const order = await deliveredOrder(world);
      const returned = dataOf(await send(world, `mutation($o: ID!, $v: ID!) { requestReturn(orderId: $o, items: [{ variantId: $v, quantity: 1 }], reason: "twice") { id } }`, { o: order.id, v: order.variantId }, order.token)).requestReturn;
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { rejectReturn(id: $id, reason: "no") { status } }`, { id: returned.id }, world.admin)));
      assert.deepEqual(answers, [{ rejectReturn: { status: "REJECTED" } }, { rejectReturn: { status: "REJECTED" } }]);
    },
  },

  // ---- products
  createCategory: {
    answers: "the category made the first time; the slug with another name CONFLICT",
    async run(world, twice) {
      const slug = `twice-${randomUUID().slice(0, 8)}`;
      const create = (name: string) => send(world, `mutation($s: String!, $n: String!) { createCategory(input: { slug: $s, name: $n }) { slug name } }`, { s: slug, n: name }, world.admin);
      const answers = both(await twice(() => create("Twice")));
      assert.deepEqual(answers[0], answers[1]);
      assert.equal(codeOf(await create("Other")), "CONFLICT");
    },
  },
  updateCategory: {
    answers: "the category as changed",
    async run(world, twice) {
      const slug = `twice-${randomUUID().slice(0, 8)}`;
      dataOf(await send(world, `mutation($s: String!) { createCategory(input: { slug: $s, name: "Twice" }) { slug } }`, { s: slug }, world.admin));
      const answers = both(await twice(() => send(world, `mutation($s: String!) { updateCategory(slug: $s, input: { name: "Renamed" }) { slug name } }`, { s: slug }, world.admin)));
      assert.deepEqual(answers, [{ updateCategory: { slug, name: "Renamed" } }, { updateCategory: { slug, name: "Renamed" } }]);
    },
  },
  createProduct: {
    answers: "the one product made, with or without a key; the SKU with other terms CONFLICT, a key with other input IDEMPOTENCY_CONFLICT",
    async run(world, twice) {
      const create = (input: ReturnType<typeof productInput>, key?: string) => send(world, `mutation($input: CreateProductInput!, $k: String) { createProduct(input: $input, idempotencyKey: $k) { id } }`, { input, k: key }, world.admin);
      const input = productInput();
      const unkeyed = both(await twice(() => create(input)));
      assert.equal(unkeyed[0].createProduct.id, unkeyed[1].createProduct.id);
      assert.equal(codeOf(await create({ ...input, name: "Another mug" })), "CONFLICT");
      const key = randomUUID();
      const keyedInput = productInput();
      const keyed = both(await twice(() => create(keyedInput, key)));
      assert.equal(keyed[0].createProduct.id, keyed[1].createProduct.id);
      assert.equal(codeOf(await create({ ...keyedInput, priceAmount: 950 }, key)), "IDEMPOTENCY_CONFLICT");
    },
  },
  updateProduct: {
    answers: "the product as changed",
    async run(world, twice) {
      const id = await createStockedProduct(world.sg, 0, 900);
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { updateProduct(id: $id, input: { name: "Renamed mug", priceAmount: 950 }) { name price { amount } } }`, { id }, world.admin)));
      assert.deepEqual(answers[0], answers[1]);
      assert.deepEqual(answers[0].updateProduct, { name: "Renamed mug", price: { amount: 950 } });
    },
  },
  deleteProduct: {
    answers: "the id removed, again (not NOT_FOUND); an id the catalog never had stays NOT_FOUND",
    async run(world, twice) {
      const id = await createStockedProduct(world.sg, 0, 900);
      assert.deepEqual(both(await twice(() => send(world, `mutation($id: ID!) { deleteProduct(id: $id) }`, { id }, world.admin))), [{ deleteProduct: id }, { deleteProduct: id }]);
      assert.equal(dataOf(await send(world, `query($id: ID!) { product(id: $id) { id } }`, { id })).product, null);
      assert.equal(codeOf(await send(world, `mutation { deleteProduct(id: "prod_9999999") }`, {}, world.admin)), "NOT_FOUND");
    },
  },
  addProductVariant: {
    answers: "the variant added the first time; the same options with other terms BAD_USER_INPUT",
    async run(world, twice) {
      const product = await optionedProduct(world);
      const add = (price: number) =>
        send(world, `mutation($p: ID!, $input: ProductVariantInput!) { addProductVariant(productId: $p, input: $input) { id } }`, { p: product.id, input: { sku: `${product.sku}-L`, options: [{ name: "Size", value: "L" }], priceAmount: price } }, world.admin);
      const answers = both(await twice(() => add(1200)));
      assert.equal(answers[0].addProductVariant.id, answers[1].addProductVariant.id);
      assert.equal(codeOf(await add(1300)), "BAD_USER_INPUT");
    },
  },
  updateProductVariant: {
    answers: "the variant as changed",
    async run(world, twice) {
      const product = await optionedProduct(world);
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { updateProductVariant(id: $id, input: { priceAmount: 1050 }) { id price { amount } } }`, { id: product.variantIds[0] }, world.admin)));
      assert.deepEqual(answers[0], answers[1]);
      assert.equal(answers[0].updateProductVariant.price.amount, 1050);
    },
  },
  recordProductView: {
    answers: "true for the view counted, false for the repeat: one view counted",
    async run(world, twice) {
      const id = await createStockedProduct(world.sg, 0, 900);
      const viewer = await world.sg.token(`viewer-${randomUUID().slice(0, 8)}`);
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { recordProductView(productId: $id) }`, { id }, viewer)));
      assert.deepEqual(answers.map((a) => a.recordProductView).sort(), [false, true]);
    },
  },
  removeProductVariant: {
    answers: "the product without the variant, again (not NOT_FOUND); a variant the product never had stays NOT_FOUND",
    async run(world, twice) {
      const product = await optionedProduct(world);
      const [gone, kept] = product.variantIds as [string, string];
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { removeProductVariant(id: $id) { id variants { id } } }`, { id: gone }, world.admin)));
      for (const answer of answers) assert.deepEqual(answer.removeProductVariant, { id: product.id, variants: [{ id: kept }] });
      const neverHad = `${product.id}:v99`;
      assert.equal(codeOf(await send(world, `mutation($id: ID!) { removeProductVariant(id: $id) { id } }`, { id: neverHad }, world.admin)), "NOT_FOUND");
    },
  },
  createImageUpload: {
    answers: "an upload each: nothing is kept until one is attached, so a repeat costs nothing",
    async run(world, twice) {
      const id = await createStockedProduct(world.sg, 0, 900);
      const answers = both(await twice(() => send(world, `mutation($id: ID!) { createImageUpload(productId: $id, contentType: "image/png", bytes: 100) { uploadId } }`, { id }, world.admin)));
      for (const answer of answers) assert.ok(answer.createImageUpload.uploadId);
      assert.equal(dataOf(await send(world, `query($id: ID!) { product(id: $id) { images { url } } }`, { id })).product.images.length, 0);
    },
  },
  attachProductImage: {
    answers: "the product with the image once",
    async run(world, twice) {
      const id = await createStockedProduct(world.sg, 0, 900);
      const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#8a5a44" } }).png().toBuffer();
      const ticket = dataOf(await send(world, `mutation($id: ID!, $b: Int!) { createImageUpload(productId: $id, contentType: "image/png", bytes: $b) { uploadId url method headers { name value } } }`, { id, b: png.length }, world.admin)).createImageUpload;
      const sent = await fetch(ticket.url, { method: ticket.method, body: new Uint8Array(png), headers: Object.fromEntries(ticket.headers.map((h: { name: string; value: string }) => [h.name, h.value])) });
      await sent.arrayBuffer();
      assert.equal(sent.status, 200);
      const answers = both(await twice(() => send(world, `mutation($id: ID!, $u: ID!) { attachProductImage(productId: $id, uploadId: $u, alt: "twice") { images { alt } } }`, { id, u: ticket.uploadId }, world.admin)));
      for (const answer of answers) assert.deepEqual(answer.attachProductImage.images, [{ alt: "twice" }]);
    },
  },
};

describeOnEngines("every mutation sent twice through the gateway", (engines) => {
  const world = {} as World;
  before(async () => {
    world.mailDir = mkdtempSync(join(tmpdir(), "every-mutation-twice-"));
    world.simulator = await startPaymentSimulator({ latencyMs: 5 });
    world.sg = await startCheckoutSupergraph({
      engines,
      env: {
        PAYMENT_PROVIDER_URL: world.simulator.url,
        NOTIFICATIONS_DIR: world.mailDir,
        ACCOUNT_LINK_BASE_URL: "https://shop.example.test",
        PRODUCT_CACHE_TTL_MS: "0",
        RATE_LIMIT_COST_PER_MINUTE: "10000000",
        RATE_LIMIT_AUTH_PER_MINUTE: "100000",
        RATE_LIMIT_GUEST_CARTS_PER_MINUTE: "100000",
        // The per-address mail budget counts in the shared Redis, where every test asking for
        // account mail from 127.0.0.1 within the hour spends it: this table counts mails, not budgets.
        ACCOUNT_MAIL_PER_ADDRESS: "100000",
      },
    });
    world.admin = await world.sg.token("admin-every-mutation-twice", ["customer", "admin"]);
  });
  after(async () => {
    await world.sg?.close();
    await world.simulator?.close();
    rmSync(world.mailDir, { recursive: true, force: true });
  });

  it("the table has a row for every mutation the gateway offers, and none for one it does not", async () => {
    const offered = dataOf(await send(world, `{ __schema { mutationType { fields { name } } } }`)).__schema.mutationType.fields.map((f: { name: string }) => f.name).sort();
    assert.deepEqual(Object.keys(REPEATS).sort(), offered);
  });

  for (const mode of MODES) {
    for (const [mutation, repeat] of Object.entries(REPEATS)) {
      it(`${mutation} ${mode.name}: ${repeat.answers}`, () => repeat.run(world, mode.twice));
    }
  }
});
