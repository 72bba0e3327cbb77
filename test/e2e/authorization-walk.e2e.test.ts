// Every field a client can reach, walked as an attacker with an account of their own and as a
// guest: the gateway's own schema (introspected, so exactly what clients see) is the list, and
// ACCESS below says who each root field is for. A field added without an entry fails the first
// test; an entry for a customer's or an admin's field carries an operation that names another
// customer's things (their order, address, return, saved checkout key), and the walk runs it
// over HTTP and WebSocket and then checks the victim's account is as it was.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import { buildClientSchema, getIntrospectionQuery, getNamedType, isObjectType, type GraphQLObjectType, type GraphQLSchema, type IntrospectionQuery } from "graphql";
import { INTERNAL_HEADER, signInternalCredential, loadConfig } from "#kernel";
import { realEngineUrl } from "#kernel/testing";
import { describeOnEngines, startCheckoutSupergraph, type CheckoutSupergraph } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { createMysqlTestDatabase } from "../../subgraphs/accounts/test/support/mysql-test-database.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";
import { postGraphQL, type GraphQLResponse } from "../support/graphql-client.js";
import { waitFor } from "#kernel/testing";

/** What the victim owns that the walk names: each must stay out of every answer the others get. */
interface Victim {
  userId: string;
  email: string;
  addressId: string;
  deliveredOrderId: string;
  paidOrderId: string;
  returnId: string;
  refundId: string;
  paymentIds: string[];
  checkoutKey: string;
  returnKey: string;
}

/** Every field of a per-user type a client can select without arguments (see `everyField`). */
type EveryField = (typeName: string) => string;

interface Probe {
  /** Selections of per-user types come from `every`, so a field added to one is walked too. */
  query: string | ((every: EveryField) => string);
  variables?: (victim: Victim) => Record<string, unknown>;
  /** The operation names the victim's own things: another caller must be refused or get null. */
  namesVictim?: true;
  /** Run by the victim too, it reaches their data: the probe is not vacuous. */
  victimSees?: true;
}

type Access =
  /** The same for every caller: catalog reads, shipping choices, view counting. */
  | { kind: "catalog" }
  /** Proves who the caller is by what it is given (password, refresh token, mailed link, new guest cart). */
  | { kind: "credential" }
  /** The caller's own data; another customer's ids name nothing. */
  | { kind: "own"; probe: Probe }
  /** Admins only: a customer is FORBIDDEN, a guest UNAUTHENTICATED. */
  | { kind: "admin"; probe: Probe };

const P_BOUGHT = "prod_0000006";
const P_IN_CART = "prod_0000007";
const P_GUEST = "prod_0000008";
const ADDRESS_LINE = "42 Hidden Lane";
const RECIPIENT = "Vera Victim";
const COUPON = "WALK10";
const ATTACKER_ADDRESS = `{ recipientName: "Mallory", line1: "1 Attack Road", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }`;

const own = (probe: Probe): Access => ({ kind: "own", probe });
const admin = (probe: Probe): Access => ({ kind: "admin", probe });
const CATALOG: Access = { kind: "catalog" };
const CREDENTIAL: Access = { kind: "credential" };

/** Root fields, and fields of per-user types that take arguments, by "Type.field". */
const ACCESS: Record<string, Access> = {
  "Query.me": own({ query: (every) => `{ me { ${every("User")} } }`, victimSees: true }),
  "Query.cart": own({ query: (every) => `{ cart { ${every("Cart")} } }`, victimSees: true }),
  "Query.order": own({ query: (every) => `query($id: ID!) { order(id: $id) { ${every("Order")} } }`, variables: (v) => ({ id: v.deliveredOrderId }), namesVictim: true, victimSees: true }),
  "Query.orders": own({ query: (every) => `{ orders(first: 2, includeArchived: true) { totalCount edges { node { ${every("Order")} } } } }`, victimSees: true }),
  "Cart.estimate": own({
    query: `query($address: ID!) { cart { estimate(shippingAddressId: $address, shippingMethodId: "shp_standard") { total { amount } taxTotal { amount } } } }`,
    variables: (v) => ({ address: v.addressId }),
    namesVictim: true,
  }),
  "Subscription.orderStatusChanged": own({
    query: (every) => `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${every("Order")} } }`,
    variables: (v) => ({ id: v.deliveredOrderId }),
    namesVictim: true,
    victimSees: true,
  }),

  "Mutation.addAddress": own({ query: `mutation { addAddress(input: ${ATTACKER_ADDRESS}) { id line1 } }` }),
  "Mutation.updateAddress": own({ query: (every) => `mutation($id: ID!) { updateAddress(id: $id, input: { line1: "Taken over" }) { ${every("Address")} } }`, variables: (v) => ({ id: v.addressId }), namesVictim: true }),
  "Mutation.removeAddress": own({ query: `mutation($id: ID!) { removeAddress(id: $id) }`, variables: (v) => ({ id: v.addressId }), namesVictim: true }),
  "Mutation.setDefaultAddress": own({ query: (every) => `mutation($id: ID!) { setDefaultAddress(id: $id) { ${every("Address")} } }`, variables: (v) => ({ id: v.addressId }), namesVictim: true }),
  "Mutation.resendVerificationEmail": own({ query: `mutation { resendVerificationEmail }` }),
  "Mutation.addToCart": own({ query: `mutation { addToCart(productId: "${P_BOUGHT}", quantity: 1) { id items { variant { id } quantity } } }` }),
  "Mutation.updateCartItem": own({ query: `mutation { updateCartItem(productId: "${P_IN_CART}", quantity: 3) { id items { variant { id } quantity } } }` }),
  "Mutation.removeFromCart": own({ query: `mutation { removeFromCart(productId: "${P_IN_CART}") { id items { variant { id } quantity } } }` }),
  "Mutation.acceptCartPrices": own({ query: `mutation { acceptCartPrices { id items { variant { id } } } }` }),
  "Mutation.addOrderToCart": own({
    query: `mutation($id: ID!) { addOrderToCart(orderId: $id) { orderId addedUnits lines { variantId name variantTitle ordered added quantityInCart outcome } cart { id items { variant { id } quantity } } } }`,
    variables: (v) => ({ id: v.deliveredOrderId }),
    namesVictim: true,
  }),
  "Mutation.applyCoupon": own({ query: `mutation { applyCoupon(code: "${COUPON}") { id couponCode } }` }),
  "Mutation.removeCoupon": own({ query: `mutation { removeCoupon { id couponCode } }` }),
  "Mutation.checkout": own({
    query: (every) => `mutation($key: String!, $address: ID!) { checkout(idempotencyKey: $key, shippingAddressId: $address, shippingMethodId: "shp_standard") { ${every("Order")} } }`,
    variables: (v) => ({ key: v.checkoutKey, address: v.addressId }),
    namesVictim: true,
  }),
  "Mutation.cancelOrder": own({ query: (every) => `mutation($id: ID!) { cancelOrder(id: $id) { ${every("Order")} } }`, variables: (v) => ({ id: v.paidOrderId }), namesVictim: true }),
  "Mutation.requestReturn": own({
    query: (every) => `mutation($id: ID!, $key: String) { requestReturn(orderId: $id, items: [{ variantId: "${P_BOUGHT}", quantity: 1 }], reason: "Too small", idempotencyKey: $key) { ${every("Return")} } }`,
    variables: (v) => ({ id: v.deliveredOrderId, key: v.returnKey }),
    namesVictim: true,
  }),

  "Mutation.shipOrder": admin({ query: (every) => `mutation($id: ID!) { shipOrder(id: $id) { ${every("Order")} } }`, variables: (v) => ({ id: v.paidOrderId }) }),
  "Mutation.deliverOrder": admin({ query: (every) => `mutation($id: ID!) { deliverOrder(id: $id) { ${every("Order")} } }`, variables: (v) => ({ id: v.paidOrderId }) }),
  "Mutation.refundOrder": admin({
    query: (every) => `mutation($id: ID!) { refundOrder(id: $id, amount: 1, reason: "walk", idempotencyKey: "walk-refund") { id order { ${every("Order")} } } }`,
    variables: (v) => ({ id: v.paidOrderId }),
  }),
  "Mutation.approveReturn": admin({ query: (every) => `mutation($id: ID!) { approveReturn(id: $id) { id status order { ${every("Order")} } } }`, variables: (v) => ({ id: v.returnId }) }),
  "Mutation.rejectReturn": admin({ query: (every) => `mutation($id: ID!) { rejectReturn(id: $id, reason: "walk") { id status order { ${every("Order")} } } }`, variables: (v) => ({ id: v.returnId }) }),
  "Mutation.createShippingMethod": admin({
    query: `mutation { createShippingMethod(input: { name: "Walk", price: 0, currency: "USD", countries: ["US"], minDeliveryDays: 1, maxDeliveryDays: 2 }) { id } }`,
  }),
  "Mutation.setTaxRate": admin({ query: `mutation { setTaxRate(countryCode: "US", region: "IL", rateBasisPoints: 0) { rateBasisPoints } }` }),
  "Mutation.createCoupon": admin({ query: `mutation { createCoupon(input: { code: "WALKFREE", type: PERCENTAGE, value: 10000 }) { code } }` }),
  "Mutation.restock": admin({ query: `mutation { restock(productId: "${P_BOUGHT}", quantity: 5, idempotencyKey: "walk-restock") { available } }` }),
  "Mutation.createCategory": admin({ query: `mutation { createCategory(input: { slug: "walk-category", name: "Walk" }) { slug } }` }),
  "Mutation.updateCategory": admin({ query: `mutation { updateCategory(slug: "books", input: { name: "Taken over" }) { slug } }` }),
  "Mutation.createProduct": admin({
    query: `mutation { createProduct(input: { sku: "WALK-1", name: "Walk", description: "d", priceAmount: 1, category: "books", brand: "b" }) { id } }`,
  }),
  "Mutation.updateProduct": admin({ query: `mutation { updateProduct(id: "${P_BOUGHT}", input: { name: "Taken over" }) { id } }` }),
  "Mutation.deleteProduct": admin({ query: `mutation { deleteProduct(id: "${P_BOUGHT}") }` }),
  "Mutation.addProductVariant": admin({ query: `mutation { addProductVariant(productId: "${P_BOUGHT}", input: { sku: "WALK-V", options: [], priceAmount: 1 }) { id } }` }),
  "Mutation.updateProductVariant": admin({ query: `mutation { updateProductVariant(id: "${P_BOUGHT}", input: { priceAmount: 1 }) { id } }` }),
  "Mutation.removeProductVariant": admin({ query: `mutation { removeProductVariant(id: "${P_BOUGHT}") { id } }` }),
  "Mutation.createImageUpload": admin({ query: `mutation { createImageUpload(productId: "${P_BOUGHT}", contentType: "image/png", bytes: 100) { uploadId } }` }),
  "Mutation.attachProductImage": admin({ query: `mutation { attachProductImage(productId: "${P_BOUGHT}", uploadId: "upl_walk", alt: "x") { id } }` }),

  "Mutation.signUp": CREDENTIAL,
  "Mutation.logIn": CREDENTIAL,
  "Mutation.refreshToken": CREDENTIAL,
  "Mutation.logOut": CREDENTIAL,
  "Mutation.requestPasswordReset": CREDENTIAL,
  "Mutation.resetPassword": CREDENTIAL,
  "Mutation.verifyEmail": CREDENTIAL,
  "Mutation.createGuestCart": CREDENTIAL,

  "Query.shippingMethods": CATALOG,
  "Query.product": CATALOG,
  "Query.products": CATALOG,
  "Query.categories": CATALOG,
  "Query.category": CATALOG,
  "Query.trendingProducts": CATALOG,
  "Query.search": CATALOG,
  "Query.autocomplete": CATALOG,
  "Mutation.recordProductView": CATALOG,
};

/**
 * Types holding one customer's data. Every other object type is shared (the catalog, shipping
 * and tax terms, money, pages) and may never lead to one of these: that would reach a customer's
 * data from a field anyone may call.
 */
const PER_USER_TYPES = new Set([
  "User", "Address", "AuthPayload", "GuestCart", "Cart", "CartItem", "CartEstimate", "CartEstimateLine",
  "OrderAddedToCart", "OrderLineToCart", "Order", "OrderConnection", "OrderEdge", "OrderItem", "OrderAddress", "OrderShippingMethod", "OrderStatusChange",
  "Payment", "Refund", "Return", "ReturnItem",
]);
const SHARED_TYPES = new Set([
  "Category", "Coupon", "FacetCount", "HttpHeader", "Image", "ImageUpload", "Money", "OptionFacet", "PageInfo",
  "PriceRange", "PriceRangeCount", "Product", "ProductAttribute", "ProductConnection", "ProductEdge", "ProductOption",
  "ProductVariant", "SearchEdge", "SearchFacets", "SearchResult", "SelectedOption", "ShippingMethod", "StockLevel",
  "Suggestion", "TaxRate",
]);
const ROOT_TYPES = new Set(["Query", "Mutation", "Subscription"]);

/** The codes that refuse without telling whether the named thing exists. */
const REFUSALS = new Set(["NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN"]);

const PASSWORD = "correct horse battery staple";
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;

/** The victim's account as its owner sees it: what no other caller may change. */
const VICTIM_STATE = `{
  me { email name addresses { id recipientName line1 isDefault } }
  cart { couponCode items { variant { id } quantity } }
  orders(first: 10) { edges { node { id status shippingAddress { line1 } returns { id status reason } refunds { id amount { amount } } } } }
}`;
const GUEST_CART = `{ cart { id items { variant { id } quantity } } }`;

/** Object types of the schema a client sees, and the fields leading out of them. */
function clientTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  return Object.values(schema.getTypeMap()).filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__"));
}

/**
 * A selection of every argument-free field of a per-user type: its scalars, its per-user objects
 * two levels down (scalars only below that, which keeps an order with all its returns, refunds
 * and lines under the cost limit), and the id of shared objects (products, variants).
 */
function everyField(schema: GraphQLSchema, typeName: string, depth = 0, seen: ReadonlySet<string> = new Set()): string {
  const type = schema.getType(typeName);
  assert.ok(isObjectType(type), `${typeName} is an object type`);
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.length) continue;
    const named = getNamedType(field.type);
    if (!isObjectType(named)) parts.push(field.name);
    else if (depth >= 2) continue;
    else if (!PER_USER_TYPES.has(named.name) || seen.has(named.name)) parts.push(`${field.name} { __typename${"id" in named.getFields() ? " id" : ""} }`);
    else parts.push(`${field.name} { ${everyField(schema, named.name, depth + 1, new Set(seen).add(typeName))} }`);
  }
  return parts.join(" ");
}

describeOnEngines("authorization walk: every field a client reaches, as another customer and as a guest", (engines) => {
  let sg: CheckoutSupergraph;
  let accountsDatabase: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;
  let schema: GraphQLSchema;
  let victim: Victim;
  let victimToken: string;
  let victimGuestCart: string;
  let attackerToken: string;
  let attackerGuestCart: string;
  let secrets: string[];
  let victimBefore: unknown;
  let victimGuestBefore: unknown;

  const http = (query: string, variables: Record<string, unknown>, as: { token?: string; cart?: string }) =>
    postGraphQL(sg.gatewayUrl, query, variables, { token: as.token, headers: as.cart ? { "x-cart-token": as.cart } : {} });
  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    return response.data!;
  };

  before(async () => {
    // On the real engines, accounts (addresses, users) is on MySQL too when one is configured.
    const mysqlUrl = engines.database === "real" ? realEngineUrl("MYSQL_URL") : undefined;
    if (mysqlUrl) accountsDatabase = await createMysqlTestDatabase(mysqlUrl);
    sg = await startCheckoutSupergraph({ engines, env: { RATE_LIMIT_AUTH_PER_MINUTE: "1000", RATE_LIMIT_COST_PER_MINUTE: "10000000", ...(accountsDatabase ? { MYSQL_URL: accountsDatabase.url } : {}) } });
    const introspection = await sg.query<IntrospectionQuery>(getIntrospectionQuery());
    schema = buildClientSchema(ok(introspection));

    const adminToken = await sg.token("walk-admin", ["customer", "admin"]);
    for (const id of [P_BOUGHT, P_IN_CART, P_GUEST]) ok(await sg.query(`mutation($id: ID!) { restock(productId: $id, quantity: 100, idempotencyKey: "${randomUUID()}") { available } }`, { id }, adminToken));
    ok(await sg.query(`mutation { createCoupon(input: { code: "${COUPON}", type: PERCENTAGE, value: 1000 }) { code } }`, {}, adminToken));

    const email = `victim-${randomUUID().slice(0, 8)}@example.com`;
    const signedUp = ok(await sg.query(SIGN_UP, { input: { email, password: PASSWORD, name: RECIPIENT } })).signUp;
    victimToken = signedUp.accessToken;
    const as = { token: victimToken };
    const addressId = ok(
      await http(`mutation { addAddress(input: { recipientName: "${RECIPIENT}", line1: "${ADDRESS_LINE}", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }) { id } }`, {}, as),
    ).addAddress.id;
    const checkoutKey = `victim-${randomUUID()}`;
    const buy = async (key: string) => {
      ok(await http(`mutation { addToCart(productId: "${P_BOUGHT}", quantity: 2) { id } }`, {}, as));
      const order = ok(await http(`mutation($key: String!, $address: ID!) { checkout(idempotencyKey: $key, shippingAddressId: $address, shippingMethodId: "shp_standard") { id } }`, { key, address: addressId }, as)).checkout;
      await waitFor(`order ${order.id} is PAID`, async () => (await http(`query($id: ID!) { order(id: $id) { status } }`, { id: order.id }, as)).data?.order?.status === "PAID", { timeoutMs: 15_000 });
      return order.id as string;
    };
    const deliveredOrderId = await buy(checkoutKey);
    ok(await sg.query(`mutation($id: ID!) { shipOrder(id: $id) { id } }`, { id: deliveredOrderId }, adminToken));
    ok(await sg.query(`mutation($id: ID!) { deliverOrder(id: $id) { id } }`, { id: deliveredOrderId }, adminToken));
    const returnKey = `victim-return-${randomUUID()}`;
    const returnId = ok(
      await http(`mutation($id: ID!, $key: String) { requestReturn(orderId: $id, items: [{ variantId: "${P_BOUGHT}", quantity: 1 }], reason: "Victim's reason", idempotencyKey: $key) { id } }`, { id: deliveredOrderId, key: returnKey }, as),
    ).requestReturn.id;
    const paidOrderId = await buy(`victim-${randomUUID()}`);
    const refundId = ok(await sg.query(`mutation($id: ID!) { refundOrder(id: $id, amount: 100, reason: "Goodwill", idempotencyKey: "victim-goodwill") { id } }`, { id: paidOrderId }, adminToken)).refundOrder.id;
    ok(await http(`mutation { addToCart(productId: "${P_IN_CART}", quantity: 2) { id } }`, {}, as));
    ok(await http(`mutation { applyCoupon(code: "${COUPON}") { id } }`, {}, as));
    const paymentIds = ok(await http(`{ orders { edges { node { payment { id } } } } }`, {}, as)).orders.edges.map((e: any) => e.node.payment.id);

    victimGuestCart = ok(await http(`mutation { createGuestCart { token } }`, {}, {})).createGuestCart.token;
    ok(await http(`mutation { addToCart(productId: "${P_GUEST}", quantity: 1) { id } }`, {}, { cart: victimGuestCart }));
    const victimGuestCartId = ok(await http(GUEST_CART, {}, { cart: victimGuestCart })).cart.id;

    victim = { userId: signedUp.user.id, email, addressId, deliveredOrderId, paidOrderId, returnId, refundId, paymentIds, checkoutKey, returnKey };
    secrets = [victim.userId, email, addressId, ADDRESS_LINE, RECIPIENT, deliveredOrderId, paidOrderId, returnId, refundId, ...paymentIds, victimGuestCartId, "Victim's reason"];

    const attacker = ok(await sg.query(SIGN_UP, { input: { email: `attacker-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, name: "Mallory" } })).signUp;
    attackerToken = attacker.accessToken;
    // Something to check out, so checkout gets as far as the address it names.
    ok(await http(`mutation { addToCart(productId: "${P_BOUGHT}", quantity: 1) { id } }`, {}, { token: attackerToken }));
    attackerGuestCart = ok(await http(`mutation { createGuestCart { token } }`, {}, {})).createGuestCart.token;
    ok(await http(`mutation { addToCart(productId: "${P_BOUGHT}", quantity: 1) { id } }`, {}, { cart: attackerGuestCart }));

    victimBefore = ok(await http(VICTIM_STATE, {}, as));
    victimGuestBefore = ok(await http(GUEST_CART, {}, { cart: victimGuestCart }));
  });
  after(async () => {
    await sg?.close();
    await accountsDatabase?.drop();
  });

  it("has an entry for every root field a client can reach, and for every argument-taking field of a per-user type", () => {
    const reachable = new Set<string>();
    for (const type of clientTypes(schema)) {
      for (const field of Object.values(type.getFields())) {
        if (ROOT_TYPES.has(type.name) || (PER_USER_TYPES.has(type.name) && field.args.length > 0)) reachable.add(`${type.name}.${field.name}`);
      }
    }
    const missing = [...reachable].filter((name) => !(name in ACCESS));
    const stale = Object.keys(ACCESS).filter((name) => !reachable.has(name));
    assert.deepEqual(missing, [], `say who these are for in ACCESS: ${missing.join(", ")}`);
    assert.deepEqual(stale, [], `these ACCESS entries name no field a client reaches: ${stale.join(", ")}`);
  });

  it("classes every object type as per-user or shared, and no shared type or catalog field leads to a per-user one", () => {
    const leaks: string[] = [];
    for (const type of clientTypes(schema)) {
      if (ROOT_TYPES.has(type.name)) {
        for (const field of Object.values(type.getFields())) {
          const access = ACCESS[`${type.name}.${field.name}`];
          if (access?.kind === "catalog" && PER_USER_TYPES.has(getNamedType(field.type).name)) leaks.push(`${type.name}.${field.name}: ${getNamedType(field.type).name}`);
        }
        continue;
      }
      assert.ok(PER_USER_TYPES.has(type.name) || SHARED_TYPES.has(type.name), `${type.name} is neither in PER_USER_TYPES nor in SHARED_TYPES: say which`);
      if (!SHARED_TYPES.has(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        if (PER_USER_TYPES.has(getNamedType(field.type).name)) leaks.push(`${type.name}.${field.name}: ${getNamedType(field.type).name}`);
      }
    }
    assert.deepEqual(leaks, [], "a field anyone may reach leads to one customer's data");
  });

  /** Whether an answer gives away any of the victim's things, beyond the ids the caller sent. */
  function assertNothingOfTheVictim(label: string, body: unknown, sent: Record<string, unknown> = {}): void {
    const text = JSON.stringify(body);
    const known = new Set(Object.values(sent));
    for (const secret of secrets) if (!known.has(secret)) assert.ok(!text.includes(secret), `${label} gave away ${secret}: ${text.slice(0, 400)}`);
  }

  /** The probe's first field, refused with a code that does not say whether the thing exists, or null. */
  function assertRefusedOrNull(label: string, body: { data?: any; errors?: { extensions?: Record<string, any> }[] | readonly any[] }, field: string): void {
    if (body.errors?.length) {
      for (const error of body.errors) assert.ok(REFUSALS.has(error.extensions?.code), `${label}: ${JSON.stringify(body.errors)}`);
    } else {
      assert.equal(body.data?.[field] ?? null, null, `${label} answered ${JSON.stringify(body.data)}`);
    }
  }

  const fieldOf = (name: string) => name.split(".")[1]!;
  const topFieldOf = (name: string) => (name.startsWith("Cart.") ? "cart" : fieldOf(name));
  const probes = () =>
    Object.entries(ACCESS).flatMap(([name, access]) => {
      if (access.kind !== "own" && access.kind !== "admin") return [];
      const { query } = access.probe;
      return [{ name, kind: access.kind, probe: { ...access.probe, query: typeof query === "string" ? query : query((type) => everyField(schema, type)) } }];
    });

  /** Runs an operation over a WebSocket as the token's user (anonymous without one), until its first answer. */
  async function overWebSocket(query: string, variables: Record<string, unknown>, token?: string): Promise<{ data?: any; errors?: any[] }> {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, token);
    try {
      socket.subscribe("walk", { query, variables });
      const first = await socket.waitFor((m) => m.id === "walk" && ["next", "error", "complete"].includes(m.type));
      if (first.type === "error") return { errors: first.payload };
      if (first.type === "next") return first.payload;
      return { data: null };
    } finally {
      socket.close();
    }
  }

  it("refuses another customer every per-user and admin field, over HTTP and WebSocket, without a word of the victim's", async () => {
    for (const { name, kind, probe } of probes()) {
      const variables = probe.variables?.(victim) ?? {};
      const subscription = name.startsWith("Subscription.");
      const answers = subscription ? [["ws", await overWebSocket(probe.query, variables, attackerToken)] as const] : [
        ["http", await http(probe.query, variables, { token: attackerToken, cart: attackerGuestCart })] as const,
        ["ws", await overWebSocket(probe.query, variables, attackerToken)] as const,
      ];
      for (const [transport, body] of answers) {
        const label = `${name} as another customer over ${transport}`;
        assertNothingOfTheVictim(label, body, variables);
        if (kind === "admin") {
          assert.equal(body.errors?.[0]?.extensions?.code, "FORBIDDEN", `${label}: ${JSON.stringify(body)}`);
          assert.match(body.errors?.[0]?.message ?? "", /sign in with an account that has the admin role/, `${label}: says what to do`);
          assert.equal(body.data?.[fieldOf(name)] ?? null, null, label);
        } else if (probe.namesVictim) assertRefusedOrNull(label, body, topFieldOf(name));
      }
    }
  });

  it("refuses a guest every per-user and admin field, over HTTP and WebSocket, without a word of the victim's", async () => {
    for (const { name, kind, probe } of probes()) {
      const variables = probe.variables?.(victim) ?? {};
      const subscription = name.startsWith("Subscription.");
      const answers = subscription ? [["ws", await overWebSocket(probe.query, variables)] as const] : [
        ["http", await http(probe.query, variables, { cart: attackerGuestCart })] as const,
        ["ws", await overWebSocket(probe.query, variables)] as const,
      ];
      for (const [transport, body] of answers) {
        const label = `${name} as a guest over ${transport}`;
        assertNothingOfTheVictim(label, body, variables);
        if (kind === "admin") assert.equal(body.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", `${label}: ${JSON.stringify(body)}`);
        else if (probe.namesVictim) assertRefusedOrNull(label, body, topFieldOf(name));
      }
    }
  });

  it("leaves the victim's account and guest cart as they were", async () => {
    assert.deepEqual(ok(await http(VICTIM_STATE, {}, { token: victimToken })), victimBefore);
    assert.deepEqual(ok(await http(GUEST_CART, {}, { cart: victimGuestCart })), victimGuestBefore);
  });

  it("lets the victim read what the walk named, so each probe names real data", async () => {
    for (const { name, probe } of probes().filter((p) => p.probe.victimSees)) {
      const variables = probe.variables?.(victim) ?? {};
      const body = name.startsWith("Subscription.") ? await overWebSocket(probe.query, variables, victimToken) : await http(probe.query, variables, { token: victimToken });
      assert.equal(body.errors, undefined, `${name}: ${JSON.stringify(body.errors)}`);
      const text = JSON.stringify(body.data);
      assert.ok(secrets.some((secret) => text.includes(secret)), `${name} as the victim shows none of their data: ${text.slice(0, 300)}`);
    }
  });

  it("keeps the subgraphs' entity and service fields away from clients, however they are spelled, over HTTP and WebSocket", async () => {
    const representations = `[{ __typename: "Order", id: "${victim.deliveredOrderId}" }]`;
    for (const query of [
      `{ _entities(representations: ${representations}) { ... on Order { id total { amount } } } }`,
      `{ mine: _entities(representations: ${representations}) { __typename } }`,
      `query { ...Entities } fragment Entities on Query { _entities(representations: ${representations}) { __typename } }`,
      `query { ... on Query { _entities(representations: ${representations}) { __typename } } }`,
      `{ _service { sdl } }`,
    ]) {
      for (const body of [await http(query, {}, { token: attackerToken }), await overWebSocket(query, {}, attackerToken)]) {
        assert.equal(body.data ?? null, null, query);
        assert.equal(body.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED", `${query}: ${JSON.stringify(body.errors)}`);
        assertNothingOfTheVictim(query, body);
      }
    }
  });

  it("has every subgraph refuse a call without the gateway's signed header, or with one expired, altered or signed for another subgraph", async () => {
    const { internalSecret } = loadConfig({ APP_ENV: "test" }).auth;
    const attacker = { userId: "mallory", roles: ["customer" as const] };
    assert.ok(Object.keys(sg.subgraphUrls).length >= 7, `subgraphs: ${Object.keys(sg.subgraphUrls).join(", ")}`);
    for (const [subgraph, url] of Object.entries(sg.subgraphUrls)) {
      const signed = signInternalCredential(internalSecret, { aud: subgraph, requestId: "walk", identity: attacker });
      const [version, , signature] = signed.split(".");
      const asVictim = Buffer.from(JSON.stringify({ aud: subgraph, requestId: "walk", identity: { userId: victim.userId, roles: ["customer", "admin"] }, exp: Date.now() + 60_000 })).toString("base64url");
      // The victim's own header, as the gateway signed it for another subgraph of the same
      // request (read from a log, or by a subgraph broken into): replayed here, it is refused.
      const elsewhere = Object.keys(sg.subgraphUrls).find((other) => other !== subgraph)!;
      const headers: Record<string, Record<string, string>> = {
        missing: {},
        expired: { [INTERNAL_HEADER]: signInternalCredential(internalSecret, { aud: subgraph, requestId: "walk", identity: attacker }, Date.now() - 61_000) },
        "altered to name another user": { [INTERNAL_HEADER]: `${version}.${asVictim}.${signature}` },
        "signed with another secret": { [INTERNAL_HEADER]: signInternalCredential(`${internalSecret}-not`, { aud: subgraph, requestId: "walk", identity: attacker }) },
        [`signed for ${elsewhere}`]: { [INTERNAL_HEADER]: signInternalCredential(internalSecret, { aud: elsewhere, requestId: "walk", identity: { userId: victim.userId, roles: ["customer"] } }) },
        "an access token instead": { authorization: `Bearer ${victimToken}` },
      };
      for (const [how, header] of Object.entries(headers)) {
        const response = await postGraphQL(url, `{ __typename }`, {}, { headers: header });
        assert.equal(response.status, 403, `${subgraph}, header ${how}: ${response.status}`);
        assert.equal(response.errors?.[0]?.extensions?.code, "FORBIDDEN", `${subgraph}, header ${how}`);
      }
      assert.equal((await postGraphQL(url, `{ __typename }`, {}, { headers: { [INTERNAL_HEADER]: signed } })).status, 200, `${subgraph} serves the gateway's header`);
    }
  });
});
