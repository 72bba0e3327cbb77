import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fetch } from "undici";
import {
  createSubgraphClient,
  EmbeddedEventBus,
  EmbeddedKeyValueStore,
  INTERNAL_HEADER,
  loadConfig,
  signInternalCredential,
  type Identity,
  type KeyValueStore,
  type SubgraphClient,
} from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine, platformOver, waitFor } from "#kernel/testing";
import { startProductsSubgraph, type RunningProducts } from "../../src/products-subgraph.js";
import { startTrendingCounter } from "../../src/trending/trending-counter.js";
import { admin, rejectsWith } from "./products-api-rig.js";

const RECORD = `mutation($id: ID!) { recordProductView(productId: $id) }`;
const TRENDING = `query($window: TrendingWindow!, $category: String, $first: Int) { trendingProducts(window: $window, categorySlug: $category, first: $first) { id } }`;

interface Viewer {
  identity?: Identity;
  clientAddress?: string;
  guestCartId?: string;
}

/**
 * The API on the embedded bus with a key-value store of each engine: the embedded one follows
 * the test's clock for expiry too, Redis expires by its own (the buckets a ranking reads follow
 * the test's clock either way, which is what the window tests move).
 */
function defineTrendingApiSuite(engine: string, openKv: (clock: () => number) => Promise<KeyValueStore>) {
describe(`trending products through the products subgraph API [${engine}] (a clock the test moves)`, { timeout: 60_000 }, () => {
  let products: RunningProducts;
  let client: SubgraphClient;
  let bus: EmbeddedEventBus;
  let kv: KeyValueStore;
  const keyPrefix = `trending-api-${randomUUID()}`;
  let handled = 0;
  let counter: { stop(): Promise<void> } | undefined;
  // A fixed start a little into a minute, so bucket edges are where the test puts them.
  let now = Date.UTC(2026, 0, 5, 10, 0, 30);
  const config = loadConfig({ APP_ENV: "test", PRODUCT_CACHE_TTL_MS: "300000", SEED_PRODUCTS: "0" });
  const ids: Record<string, string> = {};

  /** Calls the subgraph as the gateway would for this viewer, returning the whole response. */
  const call = async (query: string, variables: Record<string, unknown>, viewer: Viewer = {}) => {
    const response = await fetch(products.url, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(config.auth.internalSecret, { aud: "products", requestId: "test", ...viewer }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const view = async (id: string, viewer: Viewer) => {
    const body = await call(RECORD, { id }, viewer);
    if (body.errors) throw Object.assign(new Error(body.errors[0]!.message), { extensions: body.errors[0]!.extensions });
    return (body.data as { recordProductView: boolean }).recordProductView;
  };
  const guest = (n: number): Viewer => ({ clientAddress: `203.0.113.${n}`, guestCartId: randomBytes(32).toString("base64url").slice(0, 43) });
  const trending = async (window: string, category?: string, first?: number) => {
    const data = await client.request<{ trendingProducts: { id: string }[] }>(TRENDING, { window, category, first });
    return data.trendingProducts.map((p) => p.id);
  };
  /** Waits until the counter has handled `total` events since the start. */
  const counted = (total: number) => waitFor(`${total} views handled`, () => handled >= total, { timeoutMs: 5_000 });

  before(async () => {
    bus = new EmbeddedEventBus();
    kv = await openKv(() => now);
    const platform = platformOver({ config, bus, kv });
    products = await startProductsSubgraph(platform, { port: 0, trendingClock: () => now, trendingKeyPrefix: keyPrefix, countViews: false });
    // The group's member, started here to observe what it handled.
    counter = await startTrendingCounter({ bus, kv, keyPrefix, clock: () => now, onHandled: () => void (handled += 1) });
    client = createSubgraphClient({ url: products.url, audience: "products", internalSecret: config.auth.internalSecret, serviceName: "gateway-test" });
    const asAdmin = <T>(query: string, variables: Record<string, unknown>) => client.request<T>(query, variables, { identity: admin });
    await asAdmin(`mutation($input: CreateCategoryInput!) { createCategory(input: $input) { slug } }`, { input: { slug: "trend-gear", name: "Trend gear" } });
    await asAdmin(`mutation($input: CreateCategoryInput!) { createCategory(input: $input) { slug } }`, { input: { slug: "trend-tents", name: "Trend tents", parent: "trend-gear" } });
    await asAdmin(`mutation($input: CreateCategoryInput!) { createCategory(input: $input) { slug } }`, { input: { slug: "trend-books", name: "Trend books" } });
    for (const [name, category] of [
      ["tent", "trend-tents"],
      ["stove", "trend-gear"],
      ["novel", "trend-books"],
      ["gone", "trend-books"],
    ] as const) {
      const created = await asAdmin<{ createProduct: { id: string } }>(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`, {
        input: { sku: `TRD-${keyPrefix.slice(-8)}-${name}`.toUpperCase(), name: `Trend ${name}`, description: "For trending.", priceAmount: 1000, category, brand: "Trend Co" },
      });
      ids[name] = created.createProduct.id;
    }
  });

  after(async () => {
    await counter?.stop();
    await client?.close();
    await products?.close();
    await bus?.close();
    await kv?.close();
  });

  it("counts a viewer's repeat view once, and two viewers twice", async () => {
    const alice: Viewer = { identity: { userId: "usr_trend_alice", roles: ["customer"] } };
    assert.equal(await view(ids.novel!, alice), true);
    assert.equal(await view(ids.novel!, alice), false);
    // The same address with another guest cart is another shopper; the same cart is not.
    const shared = guest(7);
    assert.equal(await view(ids.novel!, shared), true);
    assert.equal(await view(ids.novel!, { ...shared }), false);
    assert.equal(await view(ids.novel!, { ...shared, guestCartId: guest(7).guestCartId }), true);
    await counted(3);
    assert.deepEqual(await trending("LAST_HOUR"), [ids.novel]);
  });

  it("counts one of ten concurrent double submits by one viewer", async () => {
    const viewer = guest(8);
    const results = await Promise.all(Array.from({ length: 10 }, () => view(ids.stove!, viewer)));
    assert.equal(results.filter(Boolean).length, 1);
    await counted(4);
  });

  it("moves a product to the top with a burst of views, in the whole ranking and in its category and the ones above it", async () => {
    await Promise.all(Array.from({ length: 6 }, (_, i) => view(ids.tent!, guest(20 + i))));
    await counted(10);
    assert.deepEqual(await trending("LAST_HOUR"), [ids.tent, ids.novel, ids.stove]);
    assert.deepEqual(await trending("LAST_HOUR", undefined, 1), [ids.tent]);
    assert.deepEqual(await trending("LAST_DAY"), [ids.tent, ids.novel, ids.stove]);
    // Slugs in any case; a parent category ranks its children's products too.
    assert.deepEqual(await trending("LAST_HOUR", "TREND-Gear"), [ids.tent, ids.stove]);
    assert.deepEqual(await trending("LAST_HOUR", "trend-tents"), [ids.tent]);
    assert.deepEqual(await trending("LAST_HOUR", "trend-books"), [ids.novel]);
  });

  it("leaves out a product removed from the catalog", async () => {
    await Promise.all(Array.from({ length: 9 }, (_, i) => view(ids.gone!, guest(40 + i))));
    await counted(19);
    assert.equal((await trending("LAST_HOUR"))[0], ids.gone);
    await client.request(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: ids.gone }, { identity: admin });
    await waitFor("the deleted product leaves the ranking", async () => !(await trending("LAST_HOUR")).includes(ids.gone!), { timeoutMs: 5_000 });
    await rejectsWith(view(ids.gone!, guest(60)), "NOT_FOUND");
  });

  it("drops views from the hour once their minute leaves it, and from the day after a day, without recounting", async () => {
    now += 59 * 60_000;
    assert.deepEqual(await trending("LAST_HOUR"), [ids.tent, ids.novel, ids.stove], "views 59 minutes old still count");
    // A new view now, then an hour on: only it is left in the hour.
    assert.equal(await view(ids.stove!, guest(70)), true);
    await counted(20);
    now += 60_000;
    assert.deepEqual(await trending("LAST_HOUR"), [ids.stove]);
    assert.deepEqual(await trending("LAST_DAY"), [ids.tent, ids.novel, ids.stove]);
    now += 24 * 3_600_000;
    assert.deepEqual(await trending("LAST_DAY"), []);
    assert.deepEqual(await trending("LAST_HOUR", "trend-gear"), []);
  });

  it("ignores a view event older than every window, even delivered for the first time", async () => {
    const { newEvent, Topics, ProductViewEventTypes } = await import("#kernel");
    const old = new Date(now - 25 * 3_600_000);
    await bus.publish(Topics.productViewed, [newEvent(ProductViewEventTypes.viewed, ids.novel!, { productId: ids.novel!, category: "trend-books", viewedAt: old.toISOString() }, old)]);
    await counted(21);
    assert.deepEqual(await trending("LAST_DAY"), []);
  });

  it("refuses unknown products, hostile ids, unknown categories and out-of-range page sizes with coded errors", async () => {
    await rejectsWith(view("prod_does_not_exist", guest(80)), "NOT_FOUND");
    await rejectsWith(view("x".repeat(10_000), guest(80)), "BAD_USER_INPUT");
    await rejectsWith(view("   ", guest(80)), "BAD_USER_INPUT");
    await rejectsWith(view("prod\u0001", guest(80)), "BAD_USER_INPUT");
    await rejectsWith(trending("LAST_HOUR", "no-such-category"), "NOT_FOUND");
    await rejectsWith(trending("LAST_HOUR", "x".repeat(10_000)), "NOT_FOUND");
    await rejectsWith(trending("LAST_HOUR", undefined, 0), "BAD_USER_INPUT");
    await rejectsWith(trending("LAST_HOUR", undefined, 51), "BAD_USER_INPUT");
    const body = await call(TRENDING, { window: "LAST_WEEK" });
    assert.equal(body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  });

  it("answers an unknown product from the hot cache after the first refusal, without reading the catalog again", async () => {
    let reads = 0;
    const findByIds = products.store.findByIds.bind(products.store);
    products.store.findByIds = async (requested) => {
      reads += 1;
      return findByIds(requested);
    };
    try {
      // An id of the catalog's length (the hot cache keeps nothing for longer ones), fresh per run.
      const missing = `prod_gone_${keyPrefix.slice(-12)}`;
      await rejectsWith(view(missing, guest(90)), "NOT_FOUND");
      await rejectsWith(view(missing, guest(91)), "NOT_FOUND");
      await rejectsWith(view(missing, guest(92)), "NOT_FOUND");
      assert.equal(reads, 1);
    } finally {
      products.store.findByIds = findByIds;
    }
  });
});
}

defineTrendingApiSuite("embedded", async (clock) => new EmbeddedKeyValueStore(clock));
describeWithRealEngine({ suite: "trending products through the products subgraph API", engine: "redis", variable: "REDIS_URL" }, (url) => {
  defineTrendingApiSuite("redis", async () => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    return store;
  });
});
