// The whole platform started as `npm start` starts it, with APP_ENV=production: what it prints
// and logs, what accounts exist, what error messages give away, and which access tokens the
// gateway takes, over HTTP and graphql-ws.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { createLogger, INTERNAL_HEADER, loadConfig, signInternalCredential, type Config } from "#kernel";
import { startSupergraph, type RunningSupergraph } from "../../platform/start-supergraph.js";
import { createTestDatabase } from "../support/test-database.js";
import { postGraphQL, wsClient } from "../support/graphql-client.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

const PRODUCTION = {
  APP_ENV: "production",
  JWT_SECRET: "production-hygiene-secret-0123456789-0123456789",
  JWT_AUDIENCE: "storefront-production-hygiene",
  INTERNAL_SECRET: "production-hygiene-internal-0123456789-0123456789",
  SEED_PRODUCTS: "10",
  RATE_LIMIT_AUTH_PER_MINUTE: "1000",
};
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
const ME = `{ me { id email } }`;
// What `npm start` used to print in every environment.
const DEV_ADMIN = { email: "admin@storefront.test", password: "admin-password-dev-only" };

describe("npm start with APP_ENV=production", { timeout: 120_000 }, () => {
  let supergraph: RunningSupergraph;
  let config: Config;
  let banner: string;
  let drop: () => Promise<void>;
  const logs: string[] = [];

  before(async () => {
    const database = await createTestDatabase("embedded");
    drop = database.drop;
    config = loadConfig({ ...PRODUCTION, DATABASE_URL: database.url });
    // Everything the platform logs, at the most verbose level, is searched for secrets below.
    const logger = createLogger("debug", { service: "storefront" }, (line) => logs.push(line));
    supergraph = await startSupergraph({ config, logger, ephemeralPorts: true });
    banner = await supergraph.banner("0.1");
  });
  after(async () => {
    await supergraph?.close();
    await drop?.();
  });

  const query = (operation: string, variables: Record<string, unknown> = {}, token?: string) => postGraphQL(supergraph.gatewayUrl, operation, variables, { token });

  /** Signs exactly these claims with the production key, as anyone holding it could. */
  const signed = (claims: { sub: string; iat?: number; exp?: number }) =>
    new SignJWT({ roles: ["customer"], ...claims }).setProtectedHeader({ alg: "HS256" }).setIssuer(config.auth.jwtIssuer).setAudience(config.auth.jwtAudience).sign(new TextEncoder().encode(config.auth.jwtSecret));

  async function signUp(): Promise<{ id: string; accessToken: string }> {
    const email = `prod-${randomUUID().slice(0, 8)}@example.com`;
    const result = await query(`mutation ($e: String!) { signUp(input: { email: $e, password: "password-123", name: "Prod" }) { accessToken user { id } } }`, { e: email });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return { id: result.data!.signUp.user.id, accessToken: result.data!.signUp.accessToken };
  }

  /** The close code graphql-ws answers a connection with, or "accepted". */
  async function webSocketWith(token: string): Promise<number | "accepted"> {
    const client = wsClient(supergraph.gatewayUrl, token);
    try {
      await new Promise<void>((resolve, reject) => client.subscribe({ query: "{ __typename }" }, { next: () => {}, error: reject, complete: resolve }));
      return "accepted";
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    } finally {
      await client.dispose();
    }
  }

  it("prints no token and no account in the start banner, and logs no token", () => {
    assert.doesNotMatch(banner, JWT);
    assert.doesNotMatch(banner, /token|password|admin/i, banner);
    assert.match(banner, /ready in/);
    assert.ok(logs.length > 0, "the platform logged its start");
    for (const line of logs) assert.doesNotMatch(line, JWT, line);
  });

  it("has no development admin account", async () => {
    const logIn = await query(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`, { e: DEV_ADMIN.email, p: DEV_ADMIN.password });
    assert.equal(logIn.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    assert.ok(!logs.some((line) => line.includes("development admin")), "no admin was seeded");
  });

  it("gives no field suggestions, at the gateway or at a subgraph", async () => {
    const typo = await query(`{ produkt(id: "prod_0000001") { id } }`);
    assert.equal(typo.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
    assert.equal(typo.errors?.[0]?.message, 'Cannot query field "produkt" on type "Query".');
    const argument = await query(`{ products(frist: 1) { edges { node { id } } } }`);
    assert.doesNotMatch(JSON.stringify(argument.errors), /Did you mean/);
    const subgraph = await fetch(supergraph.subgraphUrls.products!, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(config.auth.internalSecret, { aud: "products", requestId: "suggestions" }) },
      body: JSON.stringify({ query: `{ prodcts { edges { node { id } } } }` }),
    });
    const body = await subgraph.text();
    assert.match(body, /GRAPHQL_VALIDATION_FAILED/);
    assert.doesNotMatch(body, /Did you mean/);
  });

  it("takes the access token of a user who signed up, over HTTP and WebSocket", async () => {
    const user = await signUp();
    assert.equal((await query(ME, {}, user.accessToken)).data?.me.id, user.id);
    assert.equal(await webSocketWith(user.accessToken), "accepted");
  });

  it("refuses with 401 UNAUTHENTICATED, and 4403 on a WebSocket, a token without exp, one living too long, and one issued in the future", async () => {
    const user = await signUp();
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      "without exp": await signed({ sub: user.id, iat: now }),
      "without iat": await signed({ sub: user.id, exp: now + 600 }),
      "living two days": await signed({ sub: user.id, iat: now, exp: now + 2 * 86_400 }),
      "issued an hour from now": await signed({ sub: user.id, iat: now + 3_600, exp: now + 3_600 + 900 }),
    };
    for (const [what, token] of Object.entries(tokens)) {
      const refused = await query(ME, {}, token);
      assert.equal(refused.status, 401, what);
      assert.equal(refused.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", what);
      assert.equal(await webSocketWith(token), 4403, what);
    }
  });

  it("refuses a token signed with this deployment's secret for another deployment, or for none, and renews the session's", async () => {
    const email = `prod-${randomUUID().slice(0, 8)}@example.com`;
    const signedUp = await query(`mutation ($e: String!) { signUp(input: { email: $e, password: "password-123", name: "Prod" }) { accessToken refreshToken user { id } } }`, { e: email });
    const { refreshToken, user } = signedUp.data!.signUp as { refreshToken: string; user: { id: string } };
    const now = Math.floor(Date.now() / 1000);
    const claims = { roles: ["customer"], sub: user.id, iat: now, exp: now + 900 };
    const key = new TextEncoder().encode(config.auth.jwtSecret);
    const tokens = {
      "issued before audiences": await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer(config.auth.jwtIssuer).sign(key),
      "another deployment's": await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer(config.auth.jwtIssuer).setAudience("storefront-staging").sign(key),
    };
    for (const [what, token] of Object.entries(tokens)) {
      const refused = await query(ME, {}, token);
      assert.equal(refused.status, 401, what);
      assert.equal(refused.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", what);
      assert.match(refused.errors?.[0]?.message ?? "", /not issued for this store/, what);
      assert.equal(await webSocketWith(token), 4401, what);
    }
    const renewed = await query(`mutation ($r: String!) { refreshToken(refreshToken: $r) { accessToken } }`, { r: refreshToken });
    assert.equal((await query(ME, {}, (renewed.data!.refreshToken as { accessToken: string }).accessToken)).data?.me.id, user.id);
  });

  it("refuses a token living longer than ACCESS_TOKEN_MAX_LIFETIME_SECONDS (one hour here)", async () => {
    const user = await signUp();
    const now = Math.floor(Date.now() / 1000);
    assert.equal(config.auth.accessTokenMaxLifetimeSeconds, 3_600);
    assert.equal((await query(ME, {}, await signed({ sub: user.id, iat: now, exp: now + 3_600 }))).data?.me.id, user.id);
    assert.equal((await query(ME, {}, await signed({ sub: user.id, iat: now, exp: now + 7_200 }))).status, 401);
  });

  it("refuses a validly signed token for a user who does not exist: no cart, no checkout", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const sub of ["demo-customer", "demo-admin", "usr_000000000000000000000000"]) {
      const token = await signed({ sub, iat: now, exp: now + 900 });
      const cart = await query(`mutation { addToCart(productId: "prod_0000001", quantity: 1) { totalQuantity } }`, {}, token);
      assert.equal(cart.status, 401, sub);
      assert.equal(cart.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", sub);
      assert.equal((await query(`mutation { checkout(idempotencyKey: "${randomUUID()}", ${TEST_DESTINATION}) { id } }`, {}, token)).status, 401, sub);
      assert.equal(await webSocketWith(token), 4403, sub);
    }
  });
});
