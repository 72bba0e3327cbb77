// Issue #14's whole story through the gateway, once on the zero-setup engines (with a data
// directory) and once on the real ones: an admin creates a product with options and variants and
// stocks each variant; a customer finds it by an option facet (search and listing) and by a typo
// in autocomplete, buys one size and colour and sees it paid; after the whole supergraph restarts
// on the same data, every piece is still there. Units sold reach search: of two equally good
// suggestions, the one sold ranks first, before and after the restart.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { createLogger, loadConfig, type Config } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startSupergraph, type RunningSupergraph } from "../../platform/start-supergraph.js";
import { issueAccessToken } from "../../gateway/src/auth/access-token-verifier.js";
import { namespacedBus } from "../../subgraphs/products/test/namespaced-bus.js";
import { createTestDatabase, hasDatabase } from "../support/test-database.js";
import { postGraphQL } from "../support/graphql-client.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

type Mode = "zero-setup" | "real";
const REAL = ["DATABASE_URL", "MONGO_URL", "OPENSEARCH_URL", "KAFKA_BROKERS", "REDIS_URL"] as const;

const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id variants { id title sku } } }`;
const RESTOCK = `mutation($variantId: ID!, $quantity: Int!, $idempotencyKey: String!) { restock(variantId: $variantId, quantity: $quantity, idempotencyKey: $idempotencyKey) { available } }`;
const SEARCH = `query($q: String!, $filter: SearchFilter) { search(query: $q, filter: $filter) { totalCount edges { node { id } } facets { options { name values { value count } } } } }`;
const LISTING = `query($filter: ProductFilter, $after: String) { products(first: 50, after: $after, filter: $filter, sort: { field: PRICE }) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
const SUGGEST = `query($prefix: String!) { autocomplete(prefix: $prefix, first: 8) { kind text product { id } } }`;
const PAGE = `query($id: ID!) { product(id: $id) { id name options { name values } variants { id title sku price { amount } stock } } }`;
const ADD = `mutation($variantId: ID!, $quantity: Int!) { addToCart(variantId: $variantId, quantity: $quantity) { totalQuantity } }`;
const CHECKOUT = `mutation($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id status } }`;
const ORDER = `query($id: ID!) { order(id: $id) { status total { amount } items { quantity sku variantTitle variant { id } } } }`;

function defineJourney(mode: Mode) {
  describe(`a variant bought end to end survives a restart [${mode}]`, { timeout: 240_000 }, () => {
    const run = randomUUID().replaceAll("-", "").slice(0, 10);
    const dataDir = mkdtempSync(join(tmpdir(), "variant-journey-"));
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let config: Config;
    let running: RunningSupergraph | undefined;

    const start = async () => {
      running = await startSupergraph({
        config,
        logger: createLogger(config.logLevel, { service: "test" }),
        ephemeralPorts: true,
        decorateBus: mode === "real" ? namespacedBus(`journey-${run}`) : undefined,
      });
    };
    const stop = async () => {
      await running?.close();
      running = undefined;
    };
    const token = (userId: string, roles: ("customer" | "admin")[]) => issueAccessToken({ secret: config.auth.jwtSecret, issuer: config.auth.jwtIssuer }, { userId, roles });
    const call = async (text: string, variables: Record<string, unknown> = {}, bearer?: string) => {
      const res = await postGraphQL(running!.gatewayUrl, text, variables, { token: bearer });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!;
    };

    before(async () => {
      database = await createTestDatabase(mode === "real" ? "real" : "embedded");
      const engines: Record<string, string> = {};
      if (mode === "real") {
        const mongo = new URL(process.env.MONGO_URL!);
        mongo.pathname = `/journey_${run}`;
        Object.assign(engines, {
          MONGO_URL: mongo.toString(),
          OPENSEARCH_URL: process.env.OPENSEARCH_URL!,
          SEARCH_INDEX: `journey_${run}`,
          KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
          REDIS_URL: process.env.REDIS_URL!,
        });
      }
      config = loadConfig({
        APP_ENV: "test",
        DATABASE_URL: database.url,
        EMBEDDED_DATA_DIR: dataDir,
        SEED_PRODUCTS: "40",
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
        RATE_LIMIT_PER_MINUTE: "10000",
        ...engines,
      });
      await start();
    });
    after(async () => {
      await stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
      if (mode === "real") {
        const client = await MongoClient.connect(config.documents.mongoUrl!);
        await client.db().dropDatabase().catch(() => undefined);
        await client.close();
        await fetch(`${config.search.openSearchUrl!.replace(/\/$/, "")}/${config.search.indexName}_*`, { method: "DELETE" }).catch(() => undefined);
      }
    });

    it("creates, finds by facet and typo, buys Red M, and keeps it all across a restart", async () => {
      const admin = await token("journey-admin", ["customer", "admin"]);
      const customer = await token(`journey-${run}`, ["customer"]);
      const word = `Quoxtrel${run.slice(0, 4)}`;
      const tag = run.toUpperCase();
      const variant = (colour: string, size: string, priceAmount: number) => ({
        sku: `JRN-${tag}-${colour.toUpperCase()}-${size}`,
        options: [{ name: "Colour", value: colour }, { name: "Size", value: size }],
        priceAmount,
      });
      const { createProduct } = await call(
        CREATE,
        {
          input: {
            sku: `JRN-${tag}`,
            name: `${word} Rain Jacket`,
            description: "Keeps the rain out",
            category: "clothing",
            brand: "Journey Outfitters",
            options: [{ name: "Colour", values: ["Red", "Blue"] }, { name: "Size", values: ["M", "L"] }],
            variants: [variant("Red", "M", 5_000), variant("Red", "L", 5_500), variant("Blue", "M", 5_000), variant("Blue", "L", 5_500)],
          },
        },
        admin,
      );
      const productId = createProduct.id as string;
      // A twin whose name is as good a match and sorts first: it leads until the jacket sells.
      const twin = (await call(CREATE, { input: { sku: `JRN-${tag}-ALP`, name: `${word} Alpine Jacket`, description: "A twin", category: "clothing", brand: "Journey Outfitters", priceAmount: 4_000, currency: "USD" } }, admin)).createProduct.id as string;
      const byTitle = new Map<string, { id: string; sku: string }>(createProduct.variants.map((v: { id: string; title: string; sku: string }) => [v.title, v]));
      assert.deepEqual([...byTitle.keys()].sort(), ["Blue / L", "Blue / M", "Red / L", "Red / M"]);
      for (const [title, { id }] of byTitle) await call(RESTOCK, { variantId: id, quantity: title === "Red / M" ? 3 : 7, idempotencyKey: randomUUID() }, admin);
      const redM = byTitle.get("Red / M")!;

      // Found by facet in search and in the listing, and by a typo in autocomplete.
      await waitFor("search finds it by Colour: Red", async () => {
        const found = (await call(SEARCH, { q: word, filter: { options: [{ name: "colour", values: ["red"] }] } })).search;
        return found.totalCount === 1 && found.edges[0].node.id === productId;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      // A selective filter may answer short pages (bounded work per page): follow them.
      const listed = async (filter: Record<string, unknown>) => {
        const ids: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 20; page++) {
          const { products } = await call(LISTING, { filter, after });
          ids.push(...products.edges.map((e: { node: { id: string } }) => e.node.id));
          if (!products.pageInfo.hasNextPage) break;
          after = products.pageInfo.endCursor;
        }
        return ids;
      };
      await waitFor("the clothing listing filtered to Red in M has it", async () => (await listed({ categorySlug: "Clothing", options: [{ name: "Colour", values: ["Red"] }, { name: "Size", values: ["m"] }] })).includes(productId), { timeoutMs: 30_000, intervalMs: 250 });
      const typo = word.slice(0, 3) + word.slice(4, 8); // one letter left out
      await waitFor(`autocomplete "${typo}" suggests it`, async () =>
        (await call(SUGGEST, { prefix: typo.toLowerCase() })).autocomplete.some((s: { kind: string; product: { id: string } | null }) => s.kind === "PRODUCT" && s.product?.id === productId),
        { timeoutMs: 30_000, intervalMs: 250 });
      const suggestedProducts = async () =>
        (await call(SUGGEST, { prefix: word.toLowerCase() })).autocomplete.filter((s: { kind: string }) => s.kind === "PRODUCT").map((s: { product: { id: string } }) => s.product.id);
      await waitFor("both jackets suggested, the twin first by name", async () => JSON.stringify(await suggestedProducts()) === JSON.stringify([twin, productId]), { timeoutMs: 30_000, intervalMs: 250 });

      // Buys two Red M and follows the order to PAID.
      await call(ADD, { variantId: redM.id, quantity: 2 }, customer);
      const order = (await call(CHECKOUT, { key: `journey-${run}` }, customer)).checkout;
      await waitFor("the order is paid", async () => (await call(ORDER, { id: order.id }, customer)).order.status === "PAID", { timeoutMs: 30_000, intervalMs: 250 });
      const stockAfterSale = async () => Object.fromEntries((await call(PAGE, { id: productId })).product.variants.map((v: { title: string; stock: number }) => [v.title, v.stock]));
      assert.deepEqual(await stockAfterSale(), { "Red / M": 1, "Red / L": 7, "Blue / M": 7, "Blue / L": 7 });
      await waitFor("the sold jacket is suggested before its twin", async () => JSON.stringify(await suggestedProducts()) === JSON.stringify([productId, twin]), { timeoutMs: 30_000, intervalMs: 250 });

      await stop();
      await start();

      const page = (await call(PAGE, { id: productId })).product;
      assert.equal(page.name, `${word} Rain Jacket`);
      assert.deepEqual(page.options, [{ name: "Colour", values: ["Red", "Blue"] }, { name: "Size", values: ["M", "L"] }]);
      assert.deepEqual(
        page.variants.map((v: { title: string; sku: string; price: { amount: number } }) => [v.title, v.sku, v.price.amount]).sort(),
        [...byTitle].map(([title, v]) => [title, v.sku, title.endsWith("L") ? 5_500 : 5_000]).sort(),
      );
      assert.deepEqual(await stockAfterSale(), { "Red / M": 1, "Red / L": 7, "Blue / M": 7, "Blue / L": 7 });
      const kept = (await call(ORDER, { id: order.id }, customer)).order;
      assert.deepEqual(kept, { status: "PAID", total: { amount: 10_000 }, items: [{ quantity: 2, sku: redM.sku, variantTitle: "Red / M", variant: { id: redM.id } }] });
      await waitFor("search still finds it by facet after the restart", async () => {
        const found = (await call(SEARCH, { q: word, filter: { options: [{ name: "Colour", values: ["Red"] }] } })).search;
        return found.totalCount === 1;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.ok((await listed({ categorySlug: "clothing", options: [{ name: "Colour", values: ["Red"] }] })).includes(productId), "still listed under its facet");
      await waitFor("units sold still rank the jacket first after the restart", async () => JSON.stringify(await suggestedProducts()) === JSON.stringify([productId, twin]), { timeoutMs: 30_000, intervalMs: 250 });
      // The variant the order names is still live: its last unit can be bought, not more.
      assert.equal((await call(ADD, { variantId: redM.id, quantity: 1 }, customer)).addToCart.totalQuantity, 1);
      const more = await postGraphQL(running!.gatewayUrl, ADD, { variantId: redM.id, quantity: 2 }, { token: customer });
      assert.equal(more.errors?.[0]?.extensions?.code, "OUT_OF_STOCK");
    });
  });
}

defineJourney("zero-setup");
if (REAL.every((name) => process.env[name]) && hasDatabase("real")) defineJourney("real");
