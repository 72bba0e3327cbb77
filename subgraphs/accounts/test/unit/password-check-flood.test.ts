import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAccessTokenIssuer, createLogger } from "#kernel";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { createLoginThrottle } from "../../src/adapters/rate-limiter-login-throttle.js";
import { createAccountService } from "../../src/domain/account.service.js";
import { createPasswordWorkGate } from "../../src/domain/password-work-gate.js";

const auth = { issuer: "storefront-test", secret: "unit-test-secret-0123456789-0123456789" };
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const code = (error: unknown) => (error as { code?: string }).code;

describe("account service: a flood of password checks", () => {
  it("runs one derivation at a time, refuses a network past its places without counting them as failures, and lets another network sign in", async () => {
    const store = await EmbeddedUserStore.open(undefined);
    const passwordWork = createPasswordWorkGate({ concurrency: 1, perNetwork: 3, queue: 64, maxWaitMs: 5_000 });
    const service = createAccountService({
      store,
      throttle: createLoginThrottle({ failuresPerAccountFromAddress: 5, failuresPerAccount: 50, failuresPerAddress: 50, windowSeconds: 900 }),
      tokens: createAccessTokenIssuer({ ...auth, ttlSeconds: 900 }),
      refreshTokenTtlSeconds: 3600,
      logger: createLogger("silent"),
      hashing: FAST_SCRYPT,
      passwordWork,
    });
    await service.signUp({ email: "ann@example.com", password: "correct horse", name: "Ann" }, "10.0.0.1");
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, passwordWork.load.running)), 0);
    // Twenty wrong guesses at once from one network, and the owner from another.
    const flood = Array.from({ length: 20 }, () => service.logIn("ann@example.com", "wrong guess", "198.51.100.7").then(() => "signed in", code));
    const owner = service.logIn("ann@example.com", "correct horse", "203.0.113.9");
    const outcomes = await Promise.all(flood);
    clearInterval(watch);
    assert.equal((await owner).user.email, "ann@example.com", "the owner's network got in line and signed in");
    assert.equal(outcomes.filter((c) => c === "RATE_LIMITED").length, 17, "past its 3 places the flooding network is refused at once");
    assert.equal(outcomes.filter((c) => c === "UNAUTHENTICATED").length, 3, "the 3 checked are wrong credentials");
    assert.ok(most <= 1, `${most} derivations ran at once`);
    // Only the 3 checked guesses count toward the account's lockout from that network (5
    // failures): one more wrong guess and the right password still get through.
    await assert.rejects(service.logIn("ann@example.com", "wrong again", "198.51.100.7"), (error) => code(error) === "UNAUTHENTICATED");
    assert.equal((await service.logIn("ann@example.com", "correct horse", "198.51.100.7")).user.email, "ann@example.com");
  });
});
