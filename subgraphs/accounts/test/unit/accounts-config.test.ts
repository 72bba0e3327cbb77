import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { ConfigError, createAccessTokenIssuer, createLogger, loadConfig } from "#kernel";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { createLoginThrottle } from "../../src/adapters/rate-limiter-login-throttle.js";
import { createAccountService } from "../../src/domain/account.service.js";
import { DEV_CUSTOMER, seedDevAdmin, seedDevCustomer } from "../../src/seed-dev-admin.js";

const production = { APP_ENV: "production", JWT_AUDIENCE: "storefront-production", JWT_SECRET: "a-production-secret-0123456789-0123456789", INTERNAL_SECRET: "another-production-secret-0123456789" };
const rsaPem = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

describe("accounts configuration", () => {
  it("has a development admin in development only", () => {
    assert.deepEqual(loadConfig({ APP_ENV: "development" }).accounts.devAdmin, { email: "admin@storefront.test", password: "admin-password-dev-only" });
    assert.equal(loadConfig({ APP_ENV: "test" }).accounts.devAdmin, undefined);
    assert.equal(loadConfig(production).accounts.devAdmin, undefined);
  });

  it("refuses to start production with development admin credentials set", () => {
    assert.throws(() => loadConfig({ ...production, DEV_ADMIN_PASSWORD: "x" }), (error: unknown) => error instanceof ConfigError && /development only/.test(error.message));
  });

  it("accepts an RSA private key, also on one line with \\n separators, and refuses anything else", () => {
    const pem = rsaPem();
    assert.equal(loadConfig({ JWT_PRIVATE_KEY: pem }).auth.jwtPrivateKey, pem);
    assert.equal(loadConfig({ JWT_PRIVATE_KEY: pem.replaceAll("\n", "\\n") }).auth.jwtPrivateKey, pem);
    assert.throws(() => loadConfig({ JWT_PRIVATE_KEY: "not a key" }), /JWT_PRIVATE_KEY must be a PEM private key/);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    assert.throws(() => loadConfig({ JWT_PRIVATE_KEY: ec }), /must be an RSA private key/);
  });

  it("refuses to start production without JWT_AUDIENCE, which a default would give every deployment alike", () => {
    const { JWT_AUDIENCE: _audience, ...unnamed } = production;
    assert.throws(() => loadConfig(unnamed), (error: unknown) => error instanceof ConfigError && /JWT_AUDIENCE must be set in production/.test(error.message));
    assert.equal(loadConfig(production).auth.jwtAudience, "storefront-production");
    assert.equal(loadConfig({ APP_ENV: "development" }).auth.jwtAudience, "storefront");
  });

  it("lets production sign with a private key instead of a shared secret", () => {
    const { JWT_SECRET: _secret, ...withoutSecret } = production;
    assert.throws(() => loadConfig(withoutSecret), /JWT_SECRET, JWKS_URL or JWT_PRIVATE_KEY must be set/);
    assert.ok(loadConfig({ ...withoutSecret, JWT_PRIVATE_KEY: rsaPem() }).auth.jwtPrivateKey);
  });

  it("defaults to 15-minute access tokens and 30-day refresh tokens", () => {
    const { auth } = loadConfig({});
    assert.deepEqual([auth.accessTokenTtlSeconds, auth.refreshTokenTtlSeconds], [900, 30 * 86_400]);
  });

  it("bounds the lifetime of accepted access tokens: a day in development, an hour (or the TTL) elsewhere, never below the TTL", () => {
    assert.equal(loadConfig({ APP_ENV: "development" }).auth.accessTokenMaxLifetimeSeconds, 86_400);
    assert.equal(loadConfig({ APP_ENV: "test" }).auth.accessTokenMaxLifetimeSeconds, 3_600);
    assert.equal(loadConfig(production).auth.accessTokenMaxLifetimeSeconds, 3_600);
    assert.equal(loadConfig({ ...production, ACCESS_TOKEN_TTL_SECONDS: "7200" }).auth.accessTokenMaxLifetimeSeconds, 7_200);
    assert.equal(loadConfig({ ...production, ACCESS_TOKEN_MAX_LIFETIME_SECONDS: "1800" }).auth.accessTokenMaxLifetimeSeconds, 1_800);
    assert.throws(() => loadConfig({ ...production, ACCESS_TOKEN_MAX_LIFETIME_SECONDS: "600" }), /ACCESS_TOKEN_MAX_LIFETIME_SECONDS must be at least ACCESS_TOKEN_TTL_SECONDS/);
    assert.throws(() => loadConfig({ ACCESS_TOKEN_MAX_LIFETIME_SECONDS: "172800" }), /ACCESS_TOKEN_MAX_LIFETIME_SECONDS must be an integer between 30 and 86400/);
  });
});

describe("development admin seed", () => {
  async function accountsFor(env: Record<string, string>) {
    const config = loadConfig(env);
    const store = await EmbeddedUserStore.open();
    const accounts = createAccountService({
      store,
      throttle: createLoginThrottle(config.accounts.loginThrottle),
      tokens: createAccessTokenIssuer({ issuer: "t", secret: config.auth.jwtSecret, ttlSeconds: 60 }),
      refreshTokenTtlSeconds: 60,
      logger: createLogger("silent"),
      hashing: { N: 2 ** 10, r: 8, p: 1 },
    });
    return { config, store, accounts };
  }

  it("creates the admin once in development, and leaves it alone on the next start", async () => {
    const { config, store, accounts } = await accountsFor({ APP_ENV: "development" });
    const seeded = await seedDevAdmin({ config, accounts, logger: createLogger("silent") });
    await seedDevAdmin({ config, accounts, logger: createLogger("silent") });
    const admin = await store.findCredentials("admin@storefront.test");
    assert.deepEqual(seeded, { ...config.accounts.devAdmin, userId: admin?.user.id }, "its credentials and the id the banner's token names");
    assert.equal(admin?.user.role, "admin");
    assert.equal((await accounts.logIn("admin@storefront.test", "admin-password-dev-only")).user.id, admin?.user.id);
  });

  it("creates the development customer once in development, a customer that logs in with its printed password", async () => {
    const { config, store, accounts } = await accountsFor({ APP_ENV: "development" });
    const seeded = await seedDevCustomer({ config, accounts, logger: createLogger("silent") });
    assert.equal((await seedDevCustomer({ config, accounts, logger: createLogger("silent") }))?.userId, seeded?.userId, "the same account on the next start");
    const customer = await store.findCredentials(DEV_CUSTOMER.email);
    assert.equal(customer?.user.role, "customer");
    assert.equal((await accounts.logIn(DEV_CUSTOMER.email, DEV_CUSTOMER.password)).user.id, seeded?.userId);
  });

  it("creates no account in production or test", async () => {
    for (const env of [production, { APP_ENV: "test" }]) {
      const { config, store, accounts } = await accountsFor(env);
      assert.equal(await seedDevAdmin({ config, accounts, logger: createLogger("silent") }), undefined);
      assert.equal(await seedDevCustomer({ config, accounts, logger: createLogger("silent") }), undefined);
      assert.equal(await store.findCredentials("admin@storefront.test"), null);
      assert.equal(await store.findCredentials(DEV_CUSTOMER.email), null);
    }
  });
});
