import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAccessTokenIssuer, createLogger, ErrorCode } from "#kernel";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { createLoginThrottle } from "../../src/adapters/rate-limiter-login-throttle.js";
import { createAccountService } from "../../src/domain/account.service.js";
import { newAccountToken } from "../../src/domain/account-token.js";
import { createDeviceProofs } from "../../src/domain/login-device-proof.js";
import { hashPassword } from "../../src/domain/password-hashing.js";
import { failure } from "../support/domain-failure.js";

const SECRET = "unit-test-internal-secret-0123456789";
const DAY = 86_400;
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const t0 = new Date("2026-03-01T10:00:00Z");

describe("device proofs", () => {
  const proofs = createDeviceProofs({ secret: SECRET, ttlSeconds: 30 * DAY });

  it("verify the account, secret and expiry they were issued for, and nothing else", () => {
    const proof = proofs.issue("ann@example.com", "scrypt$hash-1", t0);
    const device = proofs.verify(proof, "ann@example.com", t0);
    assert.ok(device);
    assert.equal(proofs.issuedUnder(device, "scrypt$hash-1"), true);
    assert.equal(proofs.issuedUnder(device, "scrypt$hash-2"), false, "a password reset revokes it");
    assert.equal(proofs.verify(proof, "bob@example.com", t0), null, "another account's proof");
    assert.equal(proofs.verify(proof, "ann@example.com", new Date(t0.getTime() + 30 * DAY * 1000)), null, "expired");
    assert.equal(createDeviceProofs({ secret: "another-secret-0123456789-0123456789", ttlSeconds: 30 * DAY }).verify(proof, "ann@example.com", t0), null, "another key");
    assert.equal(proofs.issue("ann@example.com", "scrypt$hash-1", t0, device.deviceId).split(".")[1], device.deviceId, "a renewal keeps the device");
  });

  it("refuse any change to any part, and anything malformed", () => {
    const proof = proofs.issue("ann@example.com", "scrypt$hash-1", t0);
    const parts = proof.split(".");
    for (let i = 1; i < parts.length; i++) {
      const changed = [...parts];
      const c = changed[i]!;
      changed[i] = (c[0] === "A" ? "B" : "A") + c.slice(1);
      assert.equal(proofs.verify(changed.join("."), "ann@example.com", t0), null, `part ${i} changed`);
    }
    // The MAC's last character carries two unused bits: another spelling of the same bytes is refused too.
    const last = proof.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const respelled = proof.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    assert.equal(Buffer.from(respelled.split(".")[4]!, "base64url").equals(Buffer.from(proof.split(".")[4]!, "base64url")), true);
    assert.equal(proofs.verify(respelled, "ann@example.com", t0), null);
    // A later expiry is a change like any other.
    const later = [...parts];
    later[2] = (parseInt(parts[2]!, 36) + 365 * DAY).toString(36);
    assert.equal(proofs.verify(later.join("."), "ann@example.com", t0), null);
    for (const junk of ["", "dp1", `${proof}x`, proof.replace("dp1", "dp2"), "dp1....", "x".repeat(10_000), `${proof}\u0000`, proof.replace(".", "\u0000"), `dp1.${"A".repeat(100_000)}`, `${parts.slice(0, 4).join(".")}.${"A".repeat(100_000)}`]) assert.equal(proofs.verify(junk, "ann@example.com", t0), null, junk.slice(0, 40));
  });
});

async function setup(now: { value: Date }) {
  const store = await EmbeddedUserStore.open(undefined);
  const service = createAccountService({
    store,
    throttle: createLoginThrottle({ failuresPerAccountFromAddress: 5, failuresPerAccount: 50, failuresPerAddress: 50, failuresPerDevice: 10, windowSeconds: 900 }),
    deviceProofs: createDeviceProofs({ secret: SECRET, ttlSeconds: 30 * DAY }),
    tokens: createAccessTokenIssuer({ issuer: "storefront-test", secret: "unit-test-secret-0123456789-0123456789", ttlSeconds: 900 }),
    refreshTokenTtlSeconds: 3600,
    logger: createLogger("silent", {}, () => {}),
    clock: () => now.value,
    hashing: FAST_SCRYPT,
  });
  return { store, service };
}

/** Failed log-ins for the account from `count` networks, one each: a botnet past the account's ceiling. */
async function lockOutFromEverywhere(service: Awaited<ReturnType<typeof setup>>["service"], email: string, count = 60) {
  for (let i = 0; i < count; i++) await failure(service.logIn(email, `guess-${i}-pw`, `203.0.${Math.floor(i / 250)}.${i % 250}`));
}

describe("account service: known devices against a lockout", () => {
  it("lets the customer's known device in after 60 failures from 60 networks, while an unknown client stays locked out", async () => {
    const now = { value: t0 };
    const { service } = await setup(now);
    const signedUp = await service.signUp({ email: "ann@example.com", password: "password-ann", name: "Ann" });
    assert.ok(signedUp.deviceProof);
    await lockOutFromEverywhere(service, "ann@example.com");
    assert.equal((await failure(service.logIn("ann@example.com", "password-ann", "198.51.100.1"))).code, ErrorCode.RATE_LIMITED);
    const known = await service.logIn("ann@example.com", "password-ann", "198.51.100.1", signedUp.deviceProof);
    assert.equal(known.user.id, signedUp.user.id);
    assert.equal(known.deviceProof!.split(".")[1], signedUp.deviceProof.split(".")[1], "the same device, renewed");
    // The renewed proof works too, and the unknown client is still refused.
    assert.equal((await service.logIn("ann@example.com", "password-ann", "198.51.100.1", known.deviceProof)).user.id, signedUp.user.id);
    assert.equal((await failure(service.logIn("ann@example.com", "password-ann", "198.51.100.1"))).code, ErrorCode.RATE_LIMITED);
  });

  it("gives nothing for another account's, a forged or an expired proof", async () => {
    const now = { value: t0 };
    const { service } = await setup(now);
    const ann = await service.signUp({ email: "ann@example.com", password: "password-ann", name: "Ann" });
    const bob = await service.signUp({ email: "bob@example.com", password: "password-bob", name: "Bob" });
    await lockOutFromEverywhere(service, "ann@example.com");
    const forged = ann.deviceProof!.slice(0, -2) + (ann.deviceProof!.endsWith("AA") ? "BB" : "AA");
    for (const proof of [bob.deviceProof!, forged, "dp1.made-up"]) assert.equal((await failure(service.logIn("ann@example.com", "password-ann", "198.51.100.1", proof))).code, ErrorCode.RATE_LIMITED);
    now.value = new Date(t0.getTime() + 31 * DAY * 1000);
    assert.equal((await failure(service.logIn("ann@example.com", "password-ann", "198.51.100.1", ann.deviceProof))).code, ErrorCode.RATE_LIMITED);
  });

  it("locks a known device out after its own failures, and only that device", async () => {
    const now = { value: t0 };
    const { service } = await setup(now);
    const first = await service.signUp({ email: "ann@example.com", password: "password-ann", name: "Ann" });
    const second = await service.logIn("ann@example.com", "password-ann", "198.51.100.2");
    assert.notEqual(second.deviceProof!.split(".")[1], first.deviceProof!.split(".")[1]);
    for (let i = 0; i < 10; i++) assert.equal((await failure(service.logIn("ann@example.com", `stolen-proof-guess-${i}`, `192.0.2.${i}`, second.deviceProof))).code, ErrorCode.UNAUTHENTICATED);
    assert.equal((await failure(service.logIn("ann@example.com", "password-ann", "192.0.2.99", second.deviceProof))).code, ErrorCode.RATE_LIMITED);
    assert.equal((await service.logIn("ann@example.com", "password-ann", "198.51.100.1", first.deviceProof)).user.id, first.user.id);
  });

  it("revokes the proofs issued before a password reset: the old device is judged as unknown", async () => {
    const now = { value: t0 };
    const { service, store } = await setup(now);
    const ann = await service.signUp({ email: "ann@example.com", password: "password-ann", name: "Ann" });
    const link = newAccountToken();
    await store.insertAccountToken({ tokenHash: link.tokenHash, userId: ann.user.id, purpose: "PASSWORD_RESET", expiresAt: new Date(t0.getTime() + 60_000), createdAt: t0, usedAt: null });
    assert.equal(await store.resetPassword(link.tokenHash, await hashPassword("password-new", FAST_SCRYPT), t0), ann.user.id);
    await lockOutFromEverywhere(service, "ann@example.com");
    assert.equal((await failure(service.logIn("ann@example.com", "password-new", "198.51.100.1", ann.deviceProof))).code, ErrorCode.RATE_LIMITED);
  });
});
