import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

describe("the development admin account", { timeout: 120_000 }, () => {
  let supergraph: TestSupergraph;
  const dataDir = mkdtempSync(join(tmpdir(), "accounts-dev-"));
  const admin = { email: "boss@storefront.test", password: "boss-password-123" };
  before(async () => {
    supergraph = await startTestSupergraph({
      env: { APP_ENV: "development", EMBEDDED_DATA_DIR: dataDir, DEV_ADMIN_EMAIL: admin.email, DEV_ADMIN_PASSWORD: admin.password, RATE_LIMIT_AUTH_PER_MINUTE: "100000" },
    });
  });
  after(async () => {
    await supergraph?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is seeded in development, logs in with the configured credentials and acts as admin at the gateway", async () => {
    const logIn = await supergraph.query(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken user { email roles } } }`, { e: admin.email, p: admin.password });
    assert.deepEqual(logIn.data?.logIn.user, { email: admin.email, roles: ["CUSTOMER", "ADMIN"] });
    const create = await supergraph.query(
      `mutation { createProduct(input: { sku: "DEV-ADMIN-1", name: "Seeded by the admin", description: "d", priceAmount: 100, category: "books", brand: "b" }) { sku } }`,
      {},
      logIn.data!.logIn.accessToken,
    );
    assert.equal(create.errors, undefined, JSON.stringify(create.errors));
    assert.equal(create.data?.createProduct.sku, "DEV-ADMIN-1");
  });

  it("is shown with its credentials in the start banner", async () => {
    const banner = await supergraph.banner("0.1");
    assert.ok(banner.includes(`${admin.email} / ${admin.password}`), banner);
  });

  it("comes with day-long development tokens in the banner that the gateway accepts (development only)", async () => {
    const banner = await supergraph.banner("0.1");
    assert.match(banner, /Development tokens \(24 h\)/);
    const adminToken = /^ {2}admin {5}(\S+)$/m.exec(banner)?.[1];
    assert.ok(adminToken, banner);
    const create = await supergraph.query(
      `mutation { createProduct(input: { sku: "DEV-TOKEN-1", name: "Made with the banner token", description: "d", priceAmount: 100, category: "books", brand: "b" }) { sku } }`,
      {},
      adminToken,
    );
    assert.equal(create.errors, undefined, JSON.stringify(create.errors));
  });

  it("gives tokens of seeded accounts in the banner: the customer token reads me and saves an address, the admin token is the admin's", async () => {
    const banner = await supergraph.banner("0.1");
    const customerToken = /^ {2}customer {2}(\S+)$/m.exec(banner)?.[1];
    const adminToken = /^ {2}admin {5}(\S+)$/m.exec(banner)?.[1];
    assert.ok(customerToken && adminToken, banner);
    assert.match(banner, /customer@storefront\.test \/ customer-password-dev-only/);
    const me = await supergraph.query(`{ me { email roles } }`, {}, customerToken);
    assert.deepEqual(me.data?.me, { email: "customer@storefront.test", roles: ["CUSTOMER"] });
    const saved = await supergraph.query(
      `mutation { addAddress(input: { recipientName: "Ada", line1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }) { id } }`,
      {},
      customerToken,
    );
    assert.equal(saved.errors, undefined, JSON.stringify(saved.errors));
    assert.deepEqual((await supergraph.query(`{ me { email } }`, {}, adminToken)).data?.me, { email: admin.email });
    const logIn = await supergraph.query(`mutation { logIn(email: "customer@storefront.test", password: "customer-password-dev-only") { user { email } } }`);
    assert.equal(logIn.data?.logIn.user.email, "customer@storefront.test", JSON.stringify(logIn.errors));
  });
});
