import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { InternalCredentialVerifier, signInternalCredential } from "#kernel";

const SECRET = "internal-credential-verifier-secret-0123456789";
const T0 = 1_800_000_000_000;

/** A header with one character of the given part (0 version, 1 payload, 2 signature) changed. */
function tampered(header: string, part: number): string {
  const parts = header.split(".");
  const text = parts[part]!;
  const at = Math.floor(text.length / 2);
  parts[part] = text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
  return parts.join(".");
}

describe("the subgraphs' internal credential verifier", () => {
  it("signs with HMAC-SHA-256 under the secret's UTF-8 bytes, whichever secret signed before", () => {
    // The key is imported once per secret: secrets taking turns must not sign with each other's.
    const secrets = [SECRET, "another-secret", "", "ß€😀 non-ASCII", "k".repeat(200), SECRET];
    for (const secret of secrets) {
      const header = signInternalCredential(secret, { aud: "toy", requestId: "r1" }, T0);
      const [, payload, signature] = header.split(".");
      assert.equal(signature, createHmac("sha256", Buffer.from(secret, "utf8")).update(payload!).digest("base64url"), `secret ${JSON.stringify(secret.slice(0, 20))}`);
      assert.ok(new InternalCredentialVerifier(secret, 10, () => T0).verify(header, "toy"));
      if (secret !== SECRET) assert.equal(new InternalCredentialVerifier(SECRET, 10, () => T0).verify(header, "toy"), undefined);
    }
  });

  it("gives a valid header's claims, and the same claims when it comes back", () => {
    const verifier = new InternalCredentialVerifier(SECRET, 10, () => T0);
    const header = signInternalCredential(SECRET, { aud: "toy", requestId: "r1", identity: { userId: "u1", roles: ["customer"] } }, T0);
    const first = verifier.verify(header, "toy");
    assert.equal(first?.identity?.userId, "u1");
    assert.equal(verifier.size(), 1);
    assert.equal(verifier.verify(header, "toy"), first, "remembered, not verified again");
  });

  it("refuses a tampered header after the good one was remembered", () => {
    const verifier = new InternalCredentialVerifier(SECRET, 10, () => T0);
    const good = signInternalCredential(SECRET, { aud: "toy", requestId: "r1", identity: { userId: "u1", roles: ["customer"] } }, T0);
    assert.ok(verifier.verify(good, "toy"));
    for (const part of [0, 1, 2]) assert.equal(verifier.verify(tampered(good, part), "toy"), undefined, `part ${part} changed`);
    // A payload claiming another identity under the good header's signature.
    const [, , signature] = good.split(".");
    const forged = `v1.${Buffer.from(JSON.stringify({ requestId: "r1", identity: { userId: "admin", roles: ["admin"] }, exp: T0 + 60_000 })).toString("base64url")}.${signature}`;
    assert.equal(verifier.verify(forged, "toy"), undefined);
    assert.equal(verifier.verify(`${good} `, "toy"), undefined, "a header with a byte appended");
    assert.equal(verifier.verify(good.slice(0, -1), "toy"), undefined, "a header cut short");
    assert.equal(verifier.size(), 1, "nothing refused is remembered");
  });

  it("refuses a remembered header from its expiry on, and a header signed with another secret", () => {
    let now = T0;
    const verifier = new InternalCredentialVerifier(SECRET, 10, () => now);
    const header = signInternalCredential(SECRET, { aud: "toy", requestId: "r1" }, T0);
    assert.ok(verifier.verify(header, "toy"));
    now = T0 + 59_999;
    assert.ok(verifier.verify(header, "toy"), "still valid a moment before its expiry");
    now = T0 + 60_000;
    assert.equal(verifier.verify(header, "toy"), undefined, "expired, though remembered");
    assert.equal(verifier.verify(header, "toy"), undefined, "and still refused when replayed later");
    assert.equal(verifier.size(), 0);
    assert.equal(verifier.verify(signInternalCredential("another-secret-0123456789abcdef", { aud: "toy", requestId: "r2" }, now), "toy"), undefined);
    assert.equal(verifier.verify(undefined, "toy"), undefined);
    assert.equal(verifier.verify("", "toy"), undefined);
  });

  it("refuses an expired header it never saw", () => {
    const verifier = new InternalCredentialVerifier(SECRET, 10, () => T0 + 60_000);
    assert.equal(verifier.verify(signInternalCredential(SECRET, { aud: "toy", requestId: "r1" }, T0), "toy"), undefined);
    assert.equal(verifier.size(), 0);
  });

  it("remembers at most its bound, the oldest going first", () => {
    const verifier = new InternalCredentialVerifier(SECRET, 3, () => T0);
    const headers = Array.from({ length: 5 }, (_, i) => signInternalCredential(SECRET, { aud: "toy", requestId: `r${i}` }, T0));
    const claims = headers.map((header) => verifier.verify(header, "toy"));
    assert.equal(verifier.size(), 3);
    // The newest are still the same objects; the oldest is verified afresh (equal, not the same).
    assert.equal(verifier.verify(headers[4], "toy"), claims[4]);
    const again = verifier.verify(headers[0], "toy");
    assert.notEqual(again, claims[0]);
    assert.deepEqual(again, claims[0]);
    assert.equal(verifier.size(), 3);
  });

  it("hands out claims no caller can change for the next call with the same header", () => {
    const verifier = new InternalCredentialVerifier(SECRET, 10, () => T0);
    const header = signInternalCredential(SECRET, { aud: "toy", requestId: "r1", identity: { userId: "u1", roles: ["customer"] } }, T0);
    const claims = verifier.verify(header, "toy")!;
    assert.throws(() => claims.identity!.roles.push("admin"));
    assert.throws(() => {
      (claims.identity as { userId: string }).userId = "someone-else";
    });
    assert.deepEqual(verifier.verify(header, "toy")?.identity, { userId: "u1", roles: ["customer"] });
  });

  it("refuses a valid header signed for another server, also once remembered for its own", () => {
    const verifier = new InternalCredentialVerifier(SECRET, 10, () => T0);
    const forPayments = signInternalCredential(SECRET, { aud: "payments", requestId: "r1", identity: { userId: "u1", roles: ["customer"] } }, T0);
    assert.equal(verifier.verify(forPayments, "toy"), undefined, "seen first by another server");
    assert.equal(verifier.verify(forPayments, "payments")?.identity?.userId, "u1");
    assert.equal(verifier.verify(forPayments, "toy"), undefined, "remembered for payments, still refused here");
    assert.equal(verifier.verify(forPayments, "Payments"), undefined, "names compared exactly");
  });
});
