import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createOrderService } from "../../src/domain/order.service.js";
import type { Order, OrderItem } from "../../src/domain/order.js";
import type { ArchivedOrder } from "../../src/domain/order-archive.js";
import type { OrderStore } from "../../src/ports/order-store.js";
import type { StockReservations } from "../../src/ports/stock-reservations.js";

const item = (orderId: string, variantId: string, quantity: number) =>
  ({ orderId, variantId, productId: variantId, name: variantId, sku: variantId, variantTitle: variantId, options: [], unitPrice: { amount: 100, currency: "USD" }, quantity, discount: null, tax: null }) as unknown as OrderItem;

/** A store of two orders of "ada": one live (its lines in the store), one archived (its lines in its file). */
function storeOf(): OrderStore {
  const live = { id: "live", userId: "ada", status: "PAYMENT_FAILED", couponCode: "SPRING10" } as unknown as Order;
  const archived = { id: "old", userId: "ada", status: "DELIVERED", couponCode: "SPRING10", archived: { items: [item("old", "v-old", 3)], history: [], refunds: [], returns: [] } } as unknown as ArchivedOrder;
  const cancelled = { id: "cancelled", userId: "ada", status: "CANCELLED", couponCode: "WINTER5" } as unknown as Order;
  const plain = { id: "plain", userId: "ada", status: "CANCELLED", couponCode: null } as unknown as Order;
  const orders = new Map<string, Order>([["live", live], ["old", archived], ["cancelled", cancelled], ["plain", plain]]);
  return {
    findById: async (id: string) => orders.get(id) ?? null,
    itemsOf: async (ids: readonly string[]) => new Map(ids.filter((id) => id === "live").map((id) => [id, [item(id, "v-live", 2)]])),
  } as unknown as OrderStore;
}

describe("the lines of a customer's order (addOrderToCart's read)", () => {
  const orders = createOrderService({ store: storeOf(), reservations: {} as StockReservations });
  const lines = async (userId: string, orderId: string) => (await orders.linesOf(userId, orderId))?.map((line) => [line.variantId, line.quantity]) ?? null;

  it("reads a live order's lines from the store and an archived order's from its file", async () => {
    assert.deepEqual(await lines("ada", "live"), [["v-live", 2]]);
    assert.deepEqual(await lines("ada", "old"), [["v-old", 3]]);
  });

  it("answers another customer's order as a missing one: null", async () => {
    assert.equal(await lines("bob", "live"), null);
    assert.equal(await lines("bob", "old"), null);
    assert.equal(await lines("ada", "missing"), null);
  });

  it("names the coupon of an order that gave its use back (payment failed, cancelled), and of no other order or customer", async () => {
    assert.equal(await orders.couponGivenBackOf("ada", "live"), "SPRING10");
    assert.equal(await orders.couponGivenBackOf("ada", "cancelled"), "WINTER5");
    assert.equal(await orders.couponGivenBackOf("ada", "old"), null, "a delivered order kept its coupon's use");
    assert.equal(await orders.couponGivenBackOf("ada", "plain"), null);
    assert.equal(await orders.couponGivenBackOf("bob", "live"), null, "another customer's order reads as a missing one");
    assert.equal(await orders.couponGivenBackOf("ada", "missing"), null);
  });

  it("tells a customer's order's status, archived or live, and of no other customer's", async () => {
    assert.equal(await orders.statusOf("ada", "live"), "PAYMENT_FAILED");
    assert.equal(await orders.statusOf("ada", "old"), "DELIVERED");
    assert.equal(await orders.statusOf("bob", "live"), null, "another customer's order reads as a missing one");
    assert.equal(await orders.statusOf("ada", "missing"), null);
  });
});
