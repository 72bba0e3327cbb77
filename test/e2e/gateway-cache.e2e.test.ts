import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, issueAccessToken, loadConfig, Topics, type DomainEvent, type EventBus } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startSupergraph, type RunningSupergraph } from "../../platform/start-supergraph.js";
import { createTestDatabase } from "../support/test-database.js";
import { postGraphQL } from "../support/graphql-client.js";

const PRODUCT = `query Product($id: ID!) { product(id: $id) { id name price { amount currency } stock inStock } }`;
const LISTING = `{ products(first: 5) { edges { node { id name price { amount } } } } }`;
const CART = `{ cart { id totalQuantity items { quantity product { id } } } }`;

/**
 * Records every catalog or stock event the gateway's response cache has finished applying,
 * by wrapping the handlers of its consumer group: "after its event is applied" is then an
 * observable moment, not a guess.
 */
function observeCacheInvalidation(applied: DomainEvent[], published: DomainEvent[]) {
  return (bus: EventBus): EventBus => ({
    engine: bus.engine,
    publish: async (topic, events) => {
      await bus.publish(topic, events);
      if (topic === Topics.productChanged) published.push(...events);
    },
    close: () => bus.close(),
    subscribe: (options) =>
      options.group === "gateway-response-cache"
        ? bus.subscribe({
            ...options,
            handle: async (event) => {
              await options.handle(event);
              applied.push(event);
            },
          })
        : bus.subscribe(options),
  });
}

describe("the gateway's response cache", () => {
  let sg: RunningSupergraph;
  let drop: () => Promise<void>;
  const applied: DomainEvent[] = [];
  const published: DomainEvent[] = [];
  let publishedBeforeReady = 0;
  let admin: string;
  let token: (userId: string) => Promise<string>;
  const query = (q: string, variables: Record<string, unknown> = {}, bearer?: string) => postGraphQL(sg.gatewayUrl, q, variables, { token: bearer });
  // A store is refused for a moment after an event touching the response (RESPONSE_CACHE_SETTLE_MS),
  // so "cached" is waited for, not assumed right after the first answer.
  const becomesHit = (q: string, variables: Record<string, unknown> = {}) =>
    waitFor("the answer is served from the cache", async () => (await query(q, variables)).headers.get("x-response-cache") === "hit");
  const appliedFor = (topic: string, key: string, after: number) => () => applied.slice(after).some((e) => e.key === key && (topic === Topics.stockChanged ? e.type === "StockChanged" : e.type !== "StockChanged"));

  before(async () => {
    const database = await createTestDatabase("embedded");
    drop = database.drop;
    const config = loadConfig({ APP_ENV: "test", DATABASE_URL: database.url, SEED_PRODUCTS: "40", LOG_LEVEL: "silent", RESPONSE_CACHE_TTL_SECONDS: "300" });
    try {
      sg = await startSupergraph({ config, logger: createLogger("silent"), ephemeralPorts: true, decorateBus: observeCacheInvalidation(applied, published) });
      publishedBeforeReady = new Set(published.map((event) => event.key)).size;
    } catch (error) {
      await drop();
      throw error;
    }
    const auth = { secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer };
    token = (userId) => issueAccessToken(auth, { userId, roles: ["customer"] });
    admin = await issueAccessToken(auth, { userId: "cache-admin", roles: ["customer", "admin"] });
  });
  after(async () => {
    await sg?.close();
    await drop?.();
  });

  // The seed writes straight to the store; its events once waited for the relay's idle poll and
  // reached the gateway mid-session, where each refused stores of its product for a moment.
  it("starts with the seeded catalog's change events already published", () => {
    assert.equal(publishedBeforeReady, 40);
  });

  it("answers a repeated product query from the cache, with the same data", async () => {
    const first = await query(PRODUCT, { id: "prod_0000003" });
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    assert.equal(first.headers.get("x-response-cache"), "miss");
    await becomesHit(PRODUCT, { id: "prod_0000003" });
    const second = await query(PRODUCT, { id: "prod_0000003" });
    assert.equal(second.headers.get("x-response-cache"), "hit");
    assert.deepEqual(second.data, first.data);
  });

  it("says on a hit and on a coalesced answer the caching headers its miss said", async () => {
    const NAME = `query Name($id: ID!) { product(id: $id) { id name } }`;
    const id = "prod_0000021";
    const burst = await Promise.all(Array.from({ length: 8 }, () => query(NAME, { id })));
    const miss = burst.find((answer) => answer.headers.get("x-response-cache") === "miss");
    const policy = miss?.headers.get("cache-control");
    assert.match(policy ?? "", /^max-age=\d+, public$/, "a public answer says so");
    for (const answer of burst) assert.equal(answer.headers.get("cache-control"), policy, answer.headers.get("x-response-cache") ?? "");
    await becomesHit(NAME, { id });
    const hit = await query(NAME, { id });
    assert.equal(hit.headers.get("x-response-cache"), "hit");
    assert.equal(hit.headers.get("cache-control"), policy);
  });

  it("says a public answer varies by Accept, whose media type it negotiates, so a shared cache keeps one per media type", async () => {
    const url = new URL(sg.gatewayUrl);
    url.searchParams.set("query", `{ product(id: "prod_0000022") { id name } }`);
    const types = new Map<string, string | null>();
    for (const accept of ["application/json", "application/graphql-response+json"]) {
      const answer = await fetch(url, { headers: { accept, "apollo-require-preflight": "1" } });
      assert.equal(answer.status, 200, await answer.clone().text());
      await answer.text();
      // Kept by a CDN under the URL alone, the first client's media type was every later client's.
      assert.match(answer.headers.get("cache-control") ?? "", /public/);
      assert.match(answer.headers.get("vary") ?? "", /\baccept\b/i, accept);
      types.set(accept, answer.headers.get("content-type"));
    }
    assert.notEqual(types.get("application/json"), types.get("application/graphql-response+json"), "the media type follows Accept");
  });

  it("keys an answer by the variables its operation declares: variables it ignores make no new entry", async () => {
    await becomesHit(PRODUCT, { id: "prod_0000004" });
    for (let n = 0; n < 5; n++) {
      const junk = await query(PRODUCT, { id: "prod_0000004", [`unused${n}`]: "x".repeat(1_000) });
      assert.equal(junk.headers.get("x-response-cache"), "hit", `an unused variable (${n}) is served the cached answer`);
    }
    // Left out and sent as null are different requests (a default applies to one only).
    const declared = `query Listing($first: Int = 3) { products(first: $first) { edges { node { id } } } }`;
    await becomesHit(declared);
    assert.equal((await query(declared, { first: null })).headers.get("x-response-cache"), "miss");
  });

  it("answers a burst of identical queries with one trip to the subgraphs", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => query(PRODUCT, { id: "prod_0000020" })));
    const statuses = answers.map((a) => a.headers.get("x-response-cache"));
    assert.equal(statuses.filter((s) => s === "miss").length, 1, `${statuses.join(",")} errors ${JSON.stringify(answers[0]!.errors)} applied ${applied.map((e) => `${e.type}:${e.key}`).join(" ")}`);
    assert.ok(statuses.every((s) => s === "miss" || s === "coalesced" || s === "hit"), statuses.join(","));
    for (const answer of answers) assert.deepEqual(answer.data, answers[0]!.data);
    assert.equal(answers[0]!.data!.product.id, "prod_0000020");
  });

  it("never serves a product's old price once its change event is applied", async () => {
    const id = "prod_0000005";
    const before = await query(PRODUCT, { id });
    await becomesHit(PRODUCT, { id });
    const newPrice = before.data!.product.price.amount + 111;
    const mark = applied.length;
    const update = await query(`mutation($id: ID!, $p: Int!) { updateProduct(id: $id, input: { priceAmount: $p }) { id } }`, { id, p: newPrice }, admin);
    assert.equal(update.errors, undefined, JSON.stringify(update.errors));
    await waitFor("the gateway applied the product's change event", appliedFor(Topics.productChanged, id, mark));
    // Every answer from now on carries the new price, whether filled again or served from the cache.
    for (let i = 0; i < 20; i++) {
      const res = await query(PRODUCT, { id });
      assert.equal(res.data!.product.price.amount, newPrice, `answer ${i} (${res.headers.get("x-response-cache")})`);
    }
  });

  it("never serves a product's old stock once its stock event is applied", async () => {
    const id = "prod_0000007";
    await becomesHit(PRODUCT, { id });
    const cached = await query(PRODUCT, { id });
    const mark = applied.length;
    const restock = await query(`mutation($id: ID!) { restock(productId: $id, quantity: 5, idempotencyKey: "${randomUUID()}") { available } }`, { id }, admin);
    assert.equal(restock.errors, undefined, JSON.stringify(restock.errors));
    const available = restock.data!.restock.available;
    assert.equal(available, cached.data!.product.stock + 5);
    await waitFor("the gateway applied the product's stock event", appliedFor(Topics.stockChanged, id, mark));
    for (let i = 0; i < 20; i++) {
      const res = await query(PRODUCT, { id });
      assert.equal(res.data!.product.stock, available, `answer ${i} (${res.headers.get("x-response-cache")})`);
    }
  });

  it("drops cached listings when a product is added, so the new product shows", async () => {
    await becomesHit(LISTING);
    const mark = applied.length;
    const created = await query(
      `mutation { createProduct(input: { sku: "CACHE-NEW-1", name: "Fresh Arrival", description: "d", priceAmount: 1234, category: "books", brand: "b" }) { id } }`,
      {},
      admin,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const id = created.data!.createProduct.id;
    await waitFor("the gateway applied the new product's event", appliedFor(Topics.productChanged, id, mark));
    const listing = await query(LISTING);
    assert.equal(listing.data!.products.edges[0].node.id, id, "newest first: the new product leads the listing");
  });

  it("never caches a cart: each customer always gets their own", async () => {
    const [alice, bob] = await Promise.all([token("cache-alice"), token("cache-bob")]);
    await query(`mutation { addToCart(productId: "prod_0000010", quantity: 2) { id } }`, {}, alice);
    await query(`mutation { addToCart(productId: "prod_0000011", quantity: 1) { id } }`, {}, bob);
    for (let i = 0; i < 3; i++) {
      const [a, b] = await Promise.all([query(CART, {}, alice), query(CART, {}, bob)]);
      assert.equal(a.headers.get("x-response-cache"), "bypass");
      assert.equal(b.headers.get("x-response-cache"), "bypass");
      assert.deepEqual(a.data!.cart.items, [{ quantity: 2, product: { id: "prod_0000010" } }]);
      assert.deepEqual(b.data!.cart.items, [{ quantity: 1, product: { id: "prod_0000011" } }]);
    }
  });

  it("does not cache a query that mixes public catalog data with the caller's data", async () => {
    const alice = await token("cache-carol");
    const mixed = `{ product(id: "prod_0000001") { id name } cart { totalQuantity } }`;
    const first = await query(mixed, {}, alice);
    const second = await query(mixed, {}, alice);
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    assert.equal(second.headers.get("x-response-cache"), "bypass");
  });
});
