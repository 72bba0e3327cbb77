import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger, loadConfig } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startSupergraph, type RunningSupergraph } from "../../platform/start-supergraph.js";
import { issueAccessToken } from "../../gateway/src/auth/access-token-verifier.js";
import { createTestDatabase, hasDatabase, type DatabaseEngine } from "../support/test-database.js";
import { postGraphQL } from "../support/graphql-client.js";

const PRODUCT = `query ($id: ID!) { product(id: $id) { id name sku price { amount currency } } }`;
const SEARCH = `query ($q: String!) { search(query: $q) { totalCount edges { node { id price { amount } } } } }`;
const CART = `{ cart { totalQuantity items { quantity product { id name price { amount } } } } }`;

/**
 * The zero-setup mode across a restart: with no document store, search engine or broker
 * configured, a product an admin created and repriced is still in the catalog, in search and
 * in the cart after the whole supergraph stops and starts again on the same data directory;
 * and a session logged out before the stop stays ended after it.
 */
function defineRestartSuite(databaseEngine: DatabaseEngine) {
  describe(`zero-setup supergraph across a restart [PostgreSQL ${databaseEngine}]`, { timeout: 180_000 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "zero-setup-"));
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let running: RunningSupergraph | undefined;
    const config = () =>
      loadConfig({ APP_ENV: "test", DATABASE_URL: database.url, EMBEDDED_DATA_DIR: dataDir, SEED_PRODUCTS: "40", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
    const start = async () => {
      const loaded = config();
      running = await startSupergraph({ config: loaded, logger: createLogger(loaded.logLevel, { service: "test" }), ephemeralPorts: true });
      return running;
    };
    const stop = async () => {
      await running?.close();
      running = undefined;
    };
    const token = (userId: string, roles: ("customer" | "admin")[]) => {
      const { auth } = config();
      return issueAccessToken({ secret: auth.jwtSecret, issuer: auth.jwtIssuer }, { userId, roles });
    };
    const query = async (text: string, variables: Record<string, unknown> = {}, bearer?: string) => {
      const res = await postGraphQL(running!.gatewayUrl, text, variables, { token: bearer });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!;
    };

    before(async () => {
      database = await createTestDatabase(databaseEngine);
    });
    after(async () => {
      await stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("keeps a created, repriced product in the catalog, in search and in the cart", async () => {
      await start();
      const admin = await token("admin-1", ["customer", "admin"]);
      const customer = await token(`customer-${randomUUID().slice(0, 8)}`, ["customer"]);
      const word = `Restartproof${randomUUID().slice(0, 6)}`;
      const created = await query(
        `mutation ($sku: String!, $name: String!) { createProduct(input: { sku: $sku, name: $name, description: "Survives a restart", priceAmount: 4200, category: "books", brand: "Durable Press" }) { id } }`,
        { sku: `E2E-${word.toUpperCase()}`, name: `Lantern ${word}` },
        admin,
      );
      const id = created.createProduct.id as string;
      await query(`mutation ($id: ID!) { updateProduct(id: $id, input: { priceAmount: 3150 }) { id } }`, { id }, admin);
      await query(`mutation ($id: ID!) { restock(productId: $id, quantity: 5, idempotencyKey: "${randomUUID()}") { available } }`, { id }, admin);
      await query(`mutation ($id: ID!) { addToCart(productId: $id, quantity: 2) { totalQuantity } }`, { id }, customer);
      await waitFor("search shows the new price", async () => {
        const found = (await query(SEARCH, { q: word })).search;
        return found.totalCount === 1 && found.edges[0].node.price.amount === 3150;
      });
      const seededBefore = (await query(`{ products(first: 1) { totalCount } }`)).products.totalCount as number;

      await stop();
      assert.ok(readdirSync(join(dataDir, "documents")).some((name) => name.startsWith("journal-")), "the catalog journal is in the data directory");
      await start();

      const product = (await query(PRODUCT, { id })).product;
      assert.deepEqual(product, { id, name: `Lantern ${word}`, sku: `E2E-${word.toUpperCase()}`, price: { amount: 3150, currency: "USD" } });
      // Not seeded again over the kept catalog.
      assert.equal((await query(`{ products(first: 1) { totalCount } }`)).products.totalCount, seededBefore);
      await waitFor("the rebuilt search index finds the product at its new price", async () => {
        const found = (await query(SEARCH, { q: word })).search;
        return found.totalCount === 1 && found.edges[0].node.id === id && found.edges[0].node.price.amount === 3150;
      });
      const cart = (await query(CART, {}, customer)).cart;
      assert.equal(cart.totalQuantity, 2);
      assert.deepEqual(
        cart.items.map((item: { quantity: number; product: { id: string; price: { amount: number } } }) => ({ quantity: item.quantity, id: item.product.id, price: item.product.price.amount })),
        [{ quantity: 2, id, price: 3150 }],
      );
    });

    it("lets search follow a change made after the restart to a product created before it", async () => {
      const admin = await token("admin-1", ["customer", "admin"]);
      const word = `Lastword${randomUUID().slice(0, 6)}`;
      const created = await query(
        `mutation ($sku: String!, $name: String!) { createProduct(input: { sku: $sku, name: $name, description: "d", priceAmount: 990, category: "books", brand: "Durable Press" }) { id } }`,
        { sku: `E2E-${word.toUpperCase()}`, name: `Candle ${word}` },
        admin,
      );
      const id = created.createProduct.id as string;
      await stop();
      await start();
      await query(`mutation ($id: ID!) { updateProduct(id: $id, input: { priceAmount: 1090 }) { id } }`, { id }, admin);
      await waitFor("search has the change made after the restart", async () => {
        const found = (await query(SEARCH, { q: word })).search;
        return found.totalCount === 1 && found.edges[0].node.price.amount === 1090;
      });
    });

    it("keeps a logged-out session's access token refused after the restart", async () => {
      const email = `restart-${randomUUID().slice(0, 8)}@example.com`;
      const signedUp = await query(`mutation ($email: String!) { signUp(input: { email: $email, password: "correct horse battery", name: "Ada" }) { accessToken refreshToken } }`, { email });
      const { accessToken, refreshToken } = signedUp.signUp as { accessToken: string; refreshToken: string };
      assert.equal((await query(`mutation ($refreshToken: String!) { logOut(refreshToken: $refreshToken) }`, { refreshToken }, accessToken)).logOut, true);
      const refusedBefore = await postGraphQL(running!.gatewayUrl, CART, {}, { token: accessToken });
      assert.equal(refusedBefore.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");

      await stop();
      await start();
      const refusedAfter = await postGraphQL(running!.gatewayUrl, CART, {}, { token: accessToken });
      assert.equal(refusedAfter.data?.cart ?? null, null, "the ended session reads no cart");
      assert.equal(refusedAfter.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", JSON.stringify(refusedAfter.errors));
    });
  });
}

defineRestartSuite("embedded");
if (hasDatabase("real")) defineRestartSuite("real");
