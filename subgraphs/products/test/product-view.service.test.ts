import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EmbeddedEventBus, EmbeddedKeyValueStore, Topics, type DomainEvent, type EventBus } from "#kernel";
import { createProductViewService, MAX_VIEWS_PER_NETWORK } from "../src/trending/product-view.service.js";
import type { Product } from "../src/domain/product.js";

const catalog = new Map<string, Product>([["prod_a", { id: "prod_a", category: "Audio" } as Product]]);
const findByIds = async (ids: readonly string[]) => new Map(ids.flatMap((id) => (catalog.has(id) ? [[id, catalog.get(id)!] as const] : [])));

describe("product view service", () => {
  it("publishes concurrent views together, each event once, stamped with the product's category in lowercase", async () => {
    const published: DomainEvent[][] = [];
    const inner = new EmbeddedEventBus();
    const bus: EventBus = { ...inner, engine: "recording", publish: async (topic, events) => void published.push(events), subscribe: (o) => inner.subscribe(o), close: () => inner.close() };
    const kv = new EmbeddedKeyValueStore();
    const views = createProductViewService({ kv, bus, findByIds });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => views.record("prod_a", { clientAddress: `192.0.2.${i}` })));
    assert.ok(results.every(Boolean));
    const events = published.flat();
    assert.equal(events.length, 50);
    assert.equal(new Set(events.map((e) => e.id)).size, 50);
    assert.ok(published.length < 50, `${published.length} publishes for 50 views`);
    assert.deepEqual(new Set(events.map((e) => (e.payload as { category: string }).category)), new Set(["audio"]));
    await kv.close();
  });

  it("counts at most a few views of a product from one address, however many guest carts or accounts it shows", async () => {
    const published: DomainEvent[] = [];
    const bus = { engine: "recording", publish: async (_topic: string, events: DomainEvent[]) => void published.push(...events) } as unknown as EventBus;
    const kv = new EmbeddedKeyValueStore();
    const views = createProductViewService({ kv, bus, findByIds });
    // Forty fresh guest cart tokens, then ten fresh accounts, all from one address.
    for (let i = 0; i < 40; i++) await views.record("prod_a", { clientAddress: "198.51.100.7", guestCartId: `cart-${i}` });
    for (let i = 0; i < 10; i++) await views.record("prod_a", { clientAddress: "198.51.100.7", identity: { userId: `usr_${i}`, roles: ["customer"] } });
    assert.equal(published.length, MAX_VIEWS_PER_NETWORK);
    // Another address (and another IPv6 /64) still counts.
    assert.equal(await views.record("prod_a", { clientAddress: "203.0.113.9", guestCartId: "cart-x" }), true);
    assert.equal(await views.record("prod_a", { clientAddress: "2001:db8:1:2::5", guestCartId: "cart-y" }), true);
    for (let i = 0; i < 10; i++) await views.record("prod_a", { clientAddress: `2001:db8:1:2::${i + 10}`, guestCartId: `cart-v6-${i}` });
    assert.equal(published.length, MAX_VIEWS_PER_NETWORK * 2 + 1);
    await kv.close();
  });

  it("answers SERVICE_UNAVAILABLE when the view cannot be published, and counts the viewer's retry", async () => {
    let failing = true;
    const published: DomainEvent[] = [];
    const bus = {
      engine: "flaky",
      publish: async (topic: string, events: DomainEvent[]) => {
        assert.equal(topic, Topics.productViewed);
        if (failing) throw new Error("broker down");
        published.push(...events);
      },
    } as unknown as EventBus;
    const kv = new EmbeddedKeyValueStore();
    const views = createProductViewService({ kv, bus, findByIds });
    const viewer = { identity: { userId: "usr_retry", roles: ["customer" as const] } };
    await assert.rejects(views.record("prod_a", viewer), (error: { extensions?: { code?: string } }) => error.extensions?.code === "SERVICE_UNAVAILABLE");
    failing = false;
    assert.equal(await views.record("prod_a", viewer), true);
    assert.equal(await views.record("prod_a", viewer), false);
    assert.equal(published.length, 1);
    await kv.close();
  });
});
