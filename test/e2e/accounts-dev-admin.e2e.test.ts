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
});
