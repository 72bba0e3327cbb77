import { randomUUID } from "node:crypto";
import type { LoadRequest } from "../harness/load-run.js";
import { refusedCheck } from "../harness/hostile-tokens.js";
import { body, dataOf, expectData, firstProductsVariants, signUpCustomer, type BenchScenario, type ScenarioSetup } from "./scenario.js";

/** Where the seeded orders ship: a typed address and the demo catalog's free method. */
const DESTINATION = `shippingAddress: { recipientName: "Bench Shopper", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }, shippingMethodId: "shp_standard"`;
const ORDERS_EACH = 10;
const CART_LINES = 5;
/** Statuses an order leaves on its own (payment settling): the expected answer waits them out. */
const SETTLING = new Set(["PENDING"]);

/**
 * A signed-in customer's account page, uncached by nature: the cart (5 lines, each with its
 * product's name and stock: cart -> products -> inventory) and the last 10 orders (orders ->
 * products), in one operation. It measures 8,199 of the gateway's 10,000 (a cart may hold 50
 * lines, and a product's stock reads up to 100 variants): with `inStock` beside `stock` it
 * would measure 13,299 and be refused.
 */
export const ACCOUNT_PAGE = `query AccountPage {
  cart { id totalQuantity subtotal { amount currency } items { quantity unitPrice { amount currency } lineTotal { amount currency } product { id name stock } } }
  orders(first: ${ORDERS_EACH}) { totalCount edges { node { id status createdAt total { amount currency } items { quantity name product { id name } } } } }
}`;

interface Shopper {
  userId: string;
  token: string;
}

/**
 * One customer per virtual client, each with an account (our gateway checks the token's
 * subject exists), 10 placed orders (through the real checkout) and a cart of 5 lines, all
 * different from every other customer's, so an answer served to the wrong caller fails.
 */
async function seedShopper(setup: ScenarioSetup, index: number, variants: string[]): Promise<Shopper> {
  const { userId, token } = await signUpCustomer(setup, `bench-shopper-${index}`);
  const pick = (offset: number) => variants[(index * (ORDERS_EACH + CART_LINES) + offset) % variants.length]!;
  for (let order = 0; order < ORDERS_EACH; order++) {
    dataOf(await setup.reference(`mutation($v: ID!) { addToCart(variantId: $v, quantity: 1) { id } }`, { v: pick(order) }, token), `cart line of shopper ${index}`);
    dataOf(await setup.reference(`mutation($k: String!) { checkout(idempotencyKey: $k, ${DESTINATION}) { id } }`, { k: randomUUID() }, token), `checkout ${order + 1} of shopper ${index}`);
  }
  for (let line = 0; line < CART_LINES; line++) {
    dataOf(await setup.reference(`mutation($v: ID!, $q: Int!) { addToCart(variantId: $v, quantity: $q) { id } }`, { v: pick(ORDERS_EACH + line), q: 1 + ((index + line) % 3) }, token), `cart line of shopper ${index}`);
  }
  return { userId, token };
}

/** The page once every order has left PENDING (payments settle asynchronously), polled with a deadline. */
async function settledPage(setup: ScenarioSetup, shopper: Shopper, deadlineMs: number): Promise<Record<string, any>> {
  for (;;) {
    const page = dataOf(await setup.reference(ACCOUNT_PAGE, {}, shopper.token), `account page of ${shopper.userId}`);
    const statuses = page.orders.edges.map((e: { node: { status: string } }) => e.node.status) as string[];
    if (!statuses.some((s) => SETTLING.has(s))) return page;
    if (Date.now() > deadlineMs) throw new Error(`Orders of ${shopper.userId} still ${statuses.join(", ")} at the deadline`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const personalised: BenchScenario = {
  name: "personalised",
  description: `a signed-in customer's account page per virtual client: cart of ${CART_LINES} lines with product names and stock, and the last ${ORDERS_EACH} orders with their products (uncached)`,
  targets: ["stock", "hive", "apollo-router", "hive-router", "ours-apollo", "ours"],
  pairs: [["ours", "stock"], ["ours", "hive"], ["ours", "apollo-router"], ["ours", "hive-router"], ["hive-router", "ours"], ["ours", "ours-apollo"]],
  async prepare(setup) {
    if (!setup.inventory) throw new Error("The personalised page reads stock: the inventory subgraph must run");
    const shoppers = setup.connections;
    const candidates = await firstProductsVariants(setup, 100, true);
    // Every seeded order takes a unit: variants with units to spare for all who pick them.
    const variants = candidates.flatMap((productVariants) => productVariants.filter((v) => v.stock! >= 20).slice(0, 1).map((v) => v.id));
    if (variants.length < ORDERS_EACH + CART_LINES) throw new Error(`Only ${variants.length} of the first 100 products have a variant with 20 units in stock`);
    const seeded: Shopper[] = [];
    // A few at a time: the reference gateway shares the subgraphs' process.
    for (let start = 0; start < shoppers; start += 4) {
      seeded.push(...(await Promise.all(Array.from({ length: Math.min(4, shoppers - start) }, (_, i) => seedShopper(setup, start + i, variants)))));
    }
    const deadline = Date.now() + 120_000;
    const requests: LoadRequest[] = [];
    for (const shopper of seeded) {
      const page = await settledPage(setup, shopper, deadline);
      if (page.cart.items.length !== CART_LINES || page.orders.edges.length !== ORDERS_EACH) {
        throw new Error(`Shopper ${shopper.userId} has ${page.cart.items.length} cart lines and ${page.orders.edges.length} orders`);
      }
      const same = expectData(page, `account page of ${shopper.userId}`);
      requests.push({
        body: body(ACCOUNT_PAGE),
        headers: { authorization: `Bearer ${shopper.token}` },
        check: (status, raw, headers) => {
          const cacheStatus = headers["x-response-cache"];
          if (cacheStatus === "hit" || cacheStatus === "coalesced") return `account page of ${shopper.userId} served from the shared cache (${cacheStatus})`;
          return same(status, raw, headers);
        },
      });
    }
    // Forged, expired, unsigned or tampered tokens for a seeded customer, and no token at all:
    // every gateway must answer them without that customer's cart.
    const victim = seeded[0]!;
    const refusals: LoadRequest[] = [
      ...(await setup.hostileTokens(victim.userId, seeded[1]?.userId ?? victim.userId)).map(({ name, token }) => ({
        body: body(ACCOUNT_PAGE),
        headers: { authorization: `Bearer ${token}` },
        check: refusedCheck("cart", `token ${name}`),
      })),
      { body: body(ACCOUNT_PAGE), check: refusedCheck("cart", "no token") },
    ];
    return {
      refusals,
      checked: `every response equal to ITS caller's page (${shoppers} customers, one per connection, each with ${ORDERS_EACH} orders and a ${CART_LINES}-line cart of their own), never a cache hit; before measuring, each target refused ${refusals.length} hostile requests (token forged with another secret, expired, unsigned, from another issuer, another user's payload under a valid signature; no token)`,
      // Each virtual client is always the same customer, as a signed-in browser would be.
      requests: () => (client) => requests[client % requests.length]!,
    };
  },
};
