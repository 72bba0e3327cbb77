import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_SCRYPT, hashPassword, verifyPassword } from "../../src/domain/password-hashing.js";

describe("password hashing", () => {
  it("uses scrypt with 32 MiB of memory per hash by default", async () => {
    assert.equal(128 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r, 32 * 1024 * 1024);
    const hash = await hashPassword("correct horse battery");
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await verifyPassword("correct horse battery", hash), true);
  });

  it("salts each hash, verifies the right password only", async () => {
    const params = { N: 2 ** 10, r: 8, p: 1 };
    const [a, b] = [await hashPassword("same password", params), await hashPassword("same password", params)];
    assert.notEqual(a, b);
    assert.equal(await verifyPassword("same password", a), true);
    assert.equal(await verifyPassword("same password", b), true);
    assert.equal(await verifyPassword("same passwore", a), false);
    assert.equal(await verifyPassword("", a), false);
  });

  it("treats anything that is not one of its hashes as a mismatch", async () => {
    for (const encoded of ["", "plain-text", "bcrypt$10$abc$def", "scrypt$0$8$1$c2FsdA$aGFzaA", "scrypt$x$8$1$c2FsdA$aGFzaA"]) {
      assert.equal(await verifyPassword("anything", encoded), false, encoded);
    }
  });
});
