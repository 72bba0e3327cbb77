// Outside production the platform runs on credentials anyone can read (the default secrets in
// the source, the seeded admin's password in the README): it may listen beyond this machine
// only once each of them is the operator's own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "#kernel";

const OWN = {
  JWT_SECRET: "own-jwt-secret-0123456789-0123456789",
  INTERNAL_SECRET: "own-internal-secret-0123456789-0123456789",
  DEV_ADMIN_PASSWORD: "own-admin-password-0123456789",
};

function refusal(env: Record<string, string>): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
}

test("refuses a development platform on every address while its secrets and admin password are the published ones", () => {
  for (const host of ["0.0.0.0", "::", "192.168.1.20", "shop.internal"]) {
    const message = refusal({ APP_ENV: "development", HOST: host });
    assert.match(message ?? "", new RegExp(`HOST=${host.replace(/[.:]/g, "\\$&")} lets other machines reach`), host);
    assert.match(message ?? "", /JWT_SECRET, INTERNAL_SECRET, DEV_ADMIN_PASSWORD are published/, host);
  }
  assert.match(refusal({ APP_ENV: "development", HOST: "0.0.0.0", JWT_SECRET: OWN.JWT_SECRET, INTERNAL_SECRET: OWN.INTERNAL_SECRET }) ?? "", /whose DEV_ADMIN_PASSWORD is published/);
  assert.match(refusal({ APP_ENV: "test", HOST: "0.0.0.0" }) ?? "", /whose JWT_SECRET, INTERNAL_SECRET are published/, "test mode seeds no admin, but takes tokens for made-up users");
});

test("lets development listen anywhere once every credential is its own, and on loopback as it is", () => {
  assert.equal(refusal({ APP_ENV: "development", HOST: "0.0.0.0", ...OWN }), undefined);
  for (const host of ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"]) assert.equal(refusal({ APP_ENV: "development", HOST: host }), undefined, host);
  assert.equal(refusal({}), undefined, "npm start's defaults");
});
