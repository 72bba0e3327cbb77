import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openSealedSecret, sealSecret } from "../src/auth/sealed-secret.js";

const SECRET = "internal-secret-for-tests-0123456789";

describe("sealed secrets", () => {
  it("opens what it sealed, and never shows the plaintext in the sealed value", () => {
    const token = "Zk3_9-secret-token-value";
    const sealed = sealSecret(SECRET, "account-mail-token", token);
    assert.ok(!sealed.includes(token));
    assert.notEqual(sealSecret(SECRET, "account-mail-token", token), sealed, "a fresh IV each time");
    assert.equal(openSealedSecret(SECRET, "account-mail-token", sealed), token);
  });

  it("refuses another secret, another purpose, a changed byte and garbage", () => {
    const sealed = sealSecret(SECRET, "account-mail-token", "token");
    assert.equal(openSealedSecret("another-secret-0123456789-abcdef", "account-mail-token", sealed), undefined);
    assert.equal(openSealedSecret(SECRET, "another-purpose", sealed), undefined);
    const [version, iv, body, tag] = sealed.split(".");
    const flipped = Buffer.from(body!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    assert.equal(openSealedSecret(SECRET, "account-mail-token", [version, iv, flipped.toString("base64url"), tag].join(".")), undefined);
    for (const garbage of ["", "v1", "v1...", "v2.a.b.c", "x".repeat(10_000)]) assert.equal(openSealedSecret(SECRET, "account-mail-token", garbage), undefined);
  });
});
