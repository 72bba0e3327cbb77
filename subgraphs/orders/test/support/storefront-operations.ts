import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { waitFor } from "#kernel/testing";
import type { CheckoutSupergraph } from "./start-checkout-supergraph.js";

/**
 * checkout's destination arguments for tests whose point is not the address or shipping: a US
 * address and the demo store's free standard shipping (DEMO_SHIPPING_METHODS), so an order's
 * total is its lines' sum.
 */
export const TEST_DESTINATION = `shippingAddress: { recipientName: "Test Customer", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }, shippingMethodId: "shp_standard"`;

/** The client operations checkout tests send through the gateway. */
export const Ops = {
  cart: `{ cart { id totalQuantity hasPriceChanges updatedAt subtotal { amount currency }
    items { quantity product { id name } unitPrice { amount currency } lineTotal { amount currency } acceptedUnitPrice { amount currency } } } }`,
  addToCart: `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) {
    totalQuantity subtotal { amount currency } items { quantity product { id } unitPrice { amount } } } }`,
  updateCartItem: `mutation($productId: ID!, $quantity: Int!) { updateCartItem(productId: $productId, quantity: $quantity) { totalQuantity items { quantity product { id } } } }`,
  removeFromCart: `mutation($productId: ID!) { removeFromCart(productId: $productId) { totalQuantity items { product { id } } } }`,
  acceptCartPrices: `mutation { acceptCartPrices { hasPriceChanges subtotal { amount } items { unitPrice { amount } acceptedUnitPrice { amount } } } }`,
  checkout: `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id status total { amount currency } items { quantity name product { id } unitPrice { amount } } } }`,
  order: `query($id: ID!) { order(id: $id) { id status statusReason total { amount currency } statusHistory { from to reason } } }`,
  cancelOrder: `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`,
  shipOrder: `mutation($id: ID!) { shipOrder(id: $id) { id status } }`,
  deliverOrder: `mutation($id: ID!) { deliverOrder(id: $id) { id status } }`,
  stock: `query($id: ID!) { product(id: $id) { id stock } }`,
  price: `query($id: ID!) { product(id: $id) { id price { amount currency } } }`,
  orderStatusChanged: `subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id status } }`,
};

/** Fails with the response's errors when there are any, else returns its data. */
export function dataOf<T = any>(response: { data?: unknown; errors?: unknown[] }): T {
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  return response.data as T;
}

export const codeOf = (response: { errors?: { extensions?: Record<string, any> }[] }) => response.errors?.[0]?.extensions?.code;

/** A customer with a token and the steps of a purchase. */
export async function customer(sg: CheckoutSupergraph, userId = `customer-${randomUUID().slice(0, 8)}`) {
  const token = await sg.token(userId);
  return {
    userId,
    token,
    add: async (productId: string, quantity = 1) => dataOf(await sg.query(Ops.addToCart, { productId, quantity }, token)).addToCart,
    checkout: (key: string = randomUUID()) => sg.query(Ops.checkout, { key }, token),
    async placeOrder(lines: Record<string, number>): Promise<{ id: string; status: string; total: { amount: number } }> {
      for (const [productId, quantity] of Object.entries(lines)) await this.add(productId, quantity);
      return dataOf(await this.checkout()).checkout;
    },
    order: async (id: string) => dataOf(await sg.query(Ops.order, { id }, token)).order,
  };
}

export async function stockOf(sg: CheckoutSupergraph, productId: string): Promise<number> {
  return dataOf(await sg.query(Ops.stock, { id: productId })).product.stock;
}

/** Waits until the order, as its owner sees it through the gateway, has the given status. */
export async function waitForStatus(sg: CheckoutSupergraph, token: string, orderId: string, status: string, timeoutMs = 15_000): Promise<void> {
  let last: unknown;
  await waitFor(
    `order ${orderId} is ${status}`,
    async () => {
      const response = await sg.query(Ops.order, { id: orderId }, token);
      last = response.data?.order?.status ?? response.errors;
      return last === status;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** Seeded stock is random and small; tests that buy make sure there is enough first. */
export async function restock(sg: CheckoutSupergraph, productIds: string[], quantity = 1_000): Promise<void> {
  const admin = await sg.token("restocking-admin", ["admin"]);
  for (const id of productIds) dataOf(await sg.query(`mutation($id: ID!, $q: Int!) { restock(productId: $id, quantity: $q, idempotencyKey: "${randomUUID()}") { available } }`, { id, q: quantity }, admin));
}

/** A new catalog product with exactly `stock` units, for tests that need a known stock level. */
export async function createStockedProduct(sg: CheckoutSupergraph, stock: number, priceAmount = 700): Promise<string> {
  const admin = await sg.token("catalog-admin", ["admin"]);
  const sku = `T-${randomUUID().slice(0, 8)}`.toUpperCase();
  const { id } = dataOf(
    await sg.query(
      `mutation($sku: String!, $price: Int!) { createProduct(input: { sku: $sku, name: "Test product", description: "d", priceAmount: $price, category: "books", brand: "b" }) { id } }`,
      { sku, price: priceAmount },
      admin,
    ),
  ).createProduct;
  if (stock > 0) await restock(sg, [id], stock);
  return id;
}
