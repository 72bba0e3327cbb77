import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSubgraphClient, loadConfig } from "#kernel";
import { generateCatalog } from "../../subgraphs/products/src/catalog/generate-catalog.js";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

// The demo catalog the test supergraph seeds: 40 products with deterministic stock.
const seeded = new Map([...generateCatalog({ count: 40 })].map(({ product, stock }) => [product.id, stock]));
const FIRST = "prod_0000001";

describe("inventory through the gateway", () => {
  let sg: TestSupergraph;
  let admin: string;
  before(async () => {
    sg = await startTestSupergraph();
    admin = await sg.token("admin-1", ["admin"]);
  });
  after(() => sg.close());

  it("adds stock and inStock to products, as seeded, for a whole page at once", async () => {
    const res = await sg.query(`{ products(first: 40) { edges { node { id stock inStock } } } }`);
    assert.equal(res.errors, undefined);
    const nodes = res.data!.products.edges.map((e: any) => e.node);
    assert.equal(nodes.length, 40);
    for (const node of nodes) {
      assert.equal(node.stock, seeded.get(node.id), node.id);
      assert.equal(node.inStock, seeded.get(node.id)! > 0, node.id);
    }
    assert.ok(nodes.some((n: any) => !n.inStock) && nodes.some((n: any) => n.inStock), "the demo catalog has sold-out and stocked products");
  });

  it("lets an admin restock a product, and the product shows the new stock", async () => {
    const restocked = await sg.query(`mutation { restock(productId: "${FIRST}", quantity: 5, idempotencyKey: "${randomUUID()}") { variantId productId available reserved } }`, {}, admin);
    assert.equal(restocked.errors, undefined);
    // A product without options: its only variant has the product's id.
    assert.deepEqual(restocked.data!.restock, { variantId: FIRST, productId: FIRST, available: seeded.get(FIRST)! + 5, reserved: 0 });
    const product = await sg.query(`{ product(id: "${FIRST}") { id name stock inStock } }`);
    assert.equal(product.data!.product.stock, seeded.get(FIRST)! + 5);
    assert.equal(product.data!.product.inStock, true);
  });

  it("stocks a product an admin just created in the catalog", async () => {
    const created = await sg.query(
      `mutation { createProduct(input: { sku: "INV-NEW-1", name: "Fresh Arrival", description: "New", priceAmount: 1500, category: "books", brand: "b" }) { id stock inStock } }`,
      {},
      admin,
    );
    assert.equal(created.errors, undefined);
    const { id, stock, inStock } = created.data!.createProduct;
    assert.deepEqual([stock, inStock], [0, false]);
    const restocked = await sg.query(`mutation($id: ID!) { restock(productId: $id, quantity: 3, idempotencyKey: "${randomUUID()}") { available } }`, { id }, admin);
    assert.equal(restocked.data?.restock.available, 3, JSON.stringify(restocked.errors));
    const product = await sg.query(`query($id: ID!) { product(id: $id) { stock inStock } }`, { id });
    assert.deepEqual(product.data!.product, { stock: 3, inStock: true });
  });

  it("adds a keyed restock once when an admin's click is sent ten times at once, also for a product new to the inventory", async () => {
    const stockOf = async (id: string) => (await sg.query(`query($id: ID!) { product(id: $id) { stock } }`, { id })).data!.product.stock as number;
    const restock = (id: string, quantity: number, key: string) =>
      sg.query(`mutation($id: ID!, $q: Int!, $key: String!) { restock(productId: $id, quantity: $q, idempotencyKey: $key) { available } }`, { id, q: quantity, key }, admin);
    const product = "prod_0000002";
    const before = await stockOf(product);
    const clicks = await Promise.all(Array.from({ length: 10 }, () => restock(product, 7, "delivery-2026-12-05-a")));
    assert.deepEqual(clicks.map((c) => c.errors), Array(10).fill(undefined));
    assert.equal(await stockOf(product), before + 7, "seven units arrived, seven were added");
    const reused = await restock(product, 8, "delivery-2026-12-05-a");
    assert.equal(reused.errors?.[0]?.extensions?.code, "IDEMPOTENCY_CONFLICT");
    assert.equal((await restock(product, 7, "delivery-2026-12-05-b")).data?.restock.available, before + 14, "another key is another delivery");

    const created = await sg.query(`mutation { createProduct(input: { sku: "INV-NEW-TWICE", name: "Double Click", description: "New", priceAmount: 900, category: "books", brand: "b" }) { id } }`, {}, admin);
    const { id } = created.data!.createProduct;
    const firstDelivery = await Promise.all(Array.from({ length: 10 }, () => restock(id, 4, "new-product-first-delivery")));
    assert.deepEqual(firstDelivery.map((c) => c.errors), Array(10).fill(undefined));
    assert.equal(await stockOf(id), 4);
  });

  it("refuses a restock sent without an idempotencyKey, adding nothing: no send of a delivery, first or retried, adds its units twice", async () => {
    const product = "prod_0000003";
    const stockOf = async () => (await sg.query(`query($id: ID!) { product(id: $id) { stock } }`, { id: product })).data!.product.stock as number;
    const before = await stockOf();
    const keyless = `mutation($id: ID!) { restock(productId: $id, quantity: 6) { available } }`;
    const sends = [await sg.query(keyless, { id: product }, admin), await sg.query(keyless, { id: product }, admin)];
    assert.deepEqual(sends.map((send) => send.errors?.[0]?.extensions?.code), ["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED"]);
    assert.equal(await stockOf(), before, "nothing added");
  });

  it("refuses restock to customers and anonymous callers, and bad input with coded errors", async () => {
    const mutation = `mutation { restock(productId: "${FIRST}", quantity: 5, idempotencyKey: "${randomUUID()}") { available } }`;
    assert.equal((await sg.query(mutation)).errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    assert.equal((await sg.query(mutation, {}, await sg.token("u1"))).errors?.[0]?.extensions?.code, "FORBIDDEN");
    const zero = await sg.query(`mutation { restock(productId: "${FIRST}", quantity: 0, idempotencyKey: "${randomUUID()}") { available } }`, {}, admin);
    assert.equal(zero.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const unknown = await sg.query(`mutation { restock(productId: "prod_nope", quantity: 1, idempotencyKey: "${randomUUID()}") { available } }`, {}, admin);
    assert.equal(unknown.errors?.[0]?.extensions?.code, "NOT_FOUND");
    const product = await sg.query(`{ product(id: "${FIRST}") { stock } }`);
    assert.equal(product.data!.product.stock, seeded.get(FIRST)! + 5, "refused restocks changed nothing");
  });

  it("does not expose the internal reservation operations through the gateway", async () => {
    const reserve = await sg.query(`mutation { reserveStock(reservationId: "o-1", items: [{ variantId: "${FIRST}", quantity: 1 }]) { id } }`, {}, admin);
    assert.equal(reserve.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    const schema = await sg.query(`{ mutation: __type(name: "Mutation") { fields { name } } reservation: __type(name: "Reservation") { name } input: __type(name: "StockItemInput") { name } }`);
    const names = schema.data!.mutation.fields.map((f: { name: string }) => f.name);
    assert.ok(names.includes("restock"));
    for (const hidden of ["reserveStock", "commitReservation", "releaseReservation", "returnStock"]) assert.ok(!names.includes(hidden), hidden);
    assert.equal(schema.data!.reservation, null);
    assert.equal(schema.data!.input, null);
  });

  it("serves the internal operations to other subgraphs only, with coded errors", async () => {
    const config = loadConfig({ APP_ENV: "test" });
    const service = createSubgraphClient({ url: sg.subgraphUrls.inventory!, audience: "inventory", internalSecret: config.auth.internalSecret, serviceName: "test-orders" });
    try {
      const reserve = `mutation($id: ID!, $items: [StockItemInput!]!) { reserveStock(reservationId: $id, items: $items) { id status expiresAt items { variantId quantity } } }`;
      const held = await service.request<{ reserveStock: any }>(reserve, { id: "order-e2e-1", items: [{ variantId: FIRST, quantity: 2 }] });
      assert.equal(held.reserveStock.status, "HELD");
      assert.deepEqual(held.reserveStock.items, [{ variantId: FIRST, quantity: 2 }]);
      assert.ok(Date.parse(held.reserveStock.expiresAt) > Date.now());
      const product = await sg.query(`{ product(id: "${FIRST}") { stock } }`);
      assert.equal(product.data!.product.stock, seeded.get(FIRST)! + 3);
      await assert.rejects(service.request(reserve, { id: "order-e2e-2", items: [{ variantId: FIRST, quantity: 11 }] }), (e: any) => e.extensions?.code === "QUANTITY_LIMIT_EXCEEDED");
      const committed = await service.request<{ commitReservation: any }>(`mutation { commitReservation(reservationId: "order-e2e-1") { status } }`);
      assert.equal(committed.commitReservation.status, "COMMITTED");
      await assert.rejects(service.request(`mutation { releaseReservation(reservationId: "order-e2e-1") { status } }`), (e: any) => e.extensions?.code === "ILLEGAL_TRANSITION");
      const customer = service.request(reserve, { id: "order-e2e-3", items: [{ variantId: FIRST, quantity: 1 }] }, { identity: { userId: "u1", roles: ["customer"] } });
      await assert.rejects(customer, (e: any) => e.extensions?.code === "FORBIDDEN");
      // Sold units come back once per id (a paid order cancelled), however often it is asked.
      const putBack = `mutation($id: ID!, $items: [StockItemInput!]!) { returnStock(returnId: $id, items: $items) { id items { variantId quantity } } }`;
      const back = { id: "cancel:order-e2e-1", items: [{ variantId: FIRST, quantity: 2 }] };
      await Promise.all([service.request(putBack, back), service.request(putBack, back), service.request(putBack, back)]);
      const restored = await sg.query(`{ product(id: "${FIRST}") { stock } }`);
      assert.equal(restored.data!.product.stock, seeded.get(FIRST)! + 5, "the two sold units are back, once");
      await assert.rejects(service.request(putBack, back, { identity: { userId: "admin-1", roles: ["admin"] } }), (e: any) => e.extensions?.code === "FORBIDDEN");
      await assert.rejects(service.request(putBack, { id: "return:x", items: [{ variantId: FIRST, quantity: 0 }] }), (e: any) => e.extensions?.code === "BAD_USER_INPUT");
      // Units sold before the per-order limit (10 here) was lowered still come back: 11 at once.
      await service.request(putBack, { id: "return:above-the-limit", items: [{ variantId: FIRST, quantity: 11 }] });
      assert.equal((await sg.query(`{ product(id: "${FIRST}") { stock } }`)).data!.product.stock, seeded.get(FIRST)! + 16);
    } finally {
      await service.close();
    }
  });
});
