import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeJwt } from "jose";
import { createAccessTokenIssuer, createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, ErrorCode, recordSessionsEnded, userSessionsKey, type AccessTokenIssuer } from "#kernel";
import { endCovers } from "../../../../gateway/src/auth/session-revocations.js";
import { createAccessTokenVerifier } from "../../../../gateway/src/auth/access-token-verifier.js";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { createLoginThrottle } from "../../src/adapters/rate-limiter-login-throttle.js";
import { createAccountService, REFRESH_REPLAY_SECONDS } from "../../src/domain/account.service.js";
import { emailKey } from "../../src/domain/account.validation.js";
import { hashPassword } from "../../src/domain/password-hashing.js";
import { failure } from "../support/domain-failure.js";
import { newAccountToken } from "../../src/domain/account-token.js";
import type { UserStorePausePoints } from "../../src/ports/user-store.js";
import { SIGN_UP_REPEAT_WINDOW_MS } from "../../src/domain/sign-up-repeat.js";

const auth = { issuer: "storefront-test", secret: "unit-test-secret-0123456789-0123456789" };
// Cheap scrypt for speed: these tests are about the rules, not the hash's strength.
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

async function setup(options: { failuresPerAccount?: number; failuresPerAccountAllNetworks?: number; failuresPerAddress?: number; now?: () => Date; pauses?: UserStorePausePoints; beforeSigning?: () => Promise<void>; endSessionFails?: () => boolean } = {}) {
  const store = await EmbeddedUserStore.open(undefined, { pauses: options.pauses });
  const logs: string[] = [];
  const ended: { userId: string; sessionId: string }[] = [];
  const service = createAccountService({
    store,
    throttle: createLoginThrottle({
      failuresPerAccountFromAddress: options.failuresPerAccount ?? 5,
      failuresPerAccount: options.failuresPerAccountAllNetworks ?? 50,
      failuresPerAddress: options.failuresPerAddress ?? 50,
      windowSeconds: 900,
    }),
    tokens: signingAfter(createAccessTokenIssuer({ ...auth, ttlSeconds: 900 }), options.beforeSigning),
    refreshTokenTtlSeconds: 3600,
    logger: createLogger("debug", {}, (line) => logs.push(line)),
    clock: options.now,
    hashing: FAST_SCRYPT,
    endSession: async (end) => {
      if (options.endSessionFails?.()) throw new Error("key-value store unavailable");
      ended.push(end);
    },
  });
  return { store, service, logs, ended };
}

/** The issuer, signing only once `wait` (a stalled process, say) is over. */
function signingAfter(issuer: AccessTokenIssuer, wait?: () => Promise<void>): AccessTokenIssuer {
  if (!wait) return issuer;
  return { ...issuer, issue: async (subject) => (await wait(), issuer.issue(subject)) };
}

describe("account service: sign-up and log-in", () => {
  it("signs up, stores only a scrypt hash, and issues an access token the gateway accepts", async () => {
    const { store, service } = await setup();
    const session = await service.signUp({ email: " Ann@Example.com ", password: "correct horse", name: "Ann" });
    assert.equal(session.user.email, "Ann@Example.com");
    assert.equal(session.expiresIn, 900);
    const credentials = await store.findCredentials("ann@example.com");
    assert.match(credentials!.passwordHash, /^scrypt\$1024\$8\$1\$/);
    assert.ok(!credentials!.passwordHash.includes("correct horse"));
    const identity = await createAccessTokenVerifier(auth)(session.accessToken);
    assert.deepEqual(identity, { userId: session.user.id, roles: ["customer"] });
  });

  it("refuses a second account for the same email in any letter case with CONFLICT", async () => {
    const { service } = await setup();
    await service.signUp({ email: "bob@example.com", password: "password-1", name: "Bob" });
    const error = await failure(service.signUp({ email: "BOB@Example.COM", password: "password-2", name: "Bobby" }));
    assert.equal(error.code, ErrorCode.CONFLICT);
  });

  it("refuses at sign-up the spellings of a domain that would make a second account for one mailbox", async () => {
    const { service } = await setup();
    await service.signUp({ email: "ann@bücher.de", password: "password-1", name: "Ann" });
    for (const twin of ["ann@xn--bcher-kva.de", "ann@XN--BCHER-KVA.de", "ann@bücher.de.", "ann@bücher..de", "ann@mail.xn--bcher-kva.de", "ann@ｘｎ--bcher-kva.de", "ann@bücher.de．"]) {
      const error = await failure(service.signUp({ email: twin, password: "password-2", name: "Twin" }));
      assert.equal(error.code, ErrorCode.BAD_USER_INPUT, twin);
      assert.equal(error.extensions.field, "email");
    }
    // Log-in takes any well-formed spelling (accounts made before keep theirs): a spelling no account has finds none.
    assert.equal((await failure(service.logIn("ann@xn--bcher-kva.de", "password-1"))).code, ErrorCode.UNAUTHENTICATED);
    assert.ok(await service.signUp({ email: "bo@bücher.de", password: "password-3", name: "Bo" }), "a Unicode domain as it reads is welcome");
  });

  it("refuses at sign-up an address mail software reads as another mailbox: a name, a comment, a route or a list", async () => {
    const { service } = await setup();
    // Each was taken, and nodemailer sent its mail (verification, a reset link) to mallory@evil.example or ann@example.com.
    for (const email of ["ann<mallory@evil.example>", "ann;mallory@evil.example", "mallory@evil.example,admin", "ann(mallory)@example.com", "ann@example.com(mallory)", "\"ann\"@example.com", "ann:mallory@evil.example", "ann@[127.0.0.1]"]) {
      const error = await failure(service.signUp({ email, password: "password-1", name: "Mallory" }));
      assert.deepEqual([error.code, error.extensions.field], [ErrorCode.BAD_USER_INPUT, "email"], email);
    }
    assert.ok(await service.signUp({ email: "o'brien+shop@example.com", password: "password-1", name: "Ann" }), "the plain mailboxes' characters are welcome");
  });

  it("rejects bad input with BAD_USER_INPUT naming the field", async () => {
    const { service } = await setup();
    for (const [input, field] of [
      [{ email: "not-an-email", password: "password-1", name: "X" }, "email"],
      [{ email: "x@example.com", password: "short", name: "X" }, "password"],
      [{ email: "x@example.com", password: "p".repeat(129), name: "X" }, "password"],
      [{ email: "x@example.com", password: " ".repeat(8), name: "X" }, "password"],
      [{ email: "x@example.com", password: "\t \u00a0\u3000 \n  ", name: "X" }, "password"],
      [{ email: "x@example.com", password: "password-1", name: "   " }, "name"],
    ] as const) {
      const error = await failure(service.signUp(input));
      assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
      assert.equal(error.extensions.field, field);
    }
  });

  it("never stores an email or a name holding NUL, other control characters or an unpaired surrogate", async () => {
    const { store, service } = await setup();
    for (const email of ["nul\u0000@example.com", "bell\u0007@example.com", "line\nbreak@example.com", "del\u007f@example.com", "c1\u0085@example.com", "half\ud800@example.com"]) {
      const error = await failure(service.signUp({ email, password: "password-1", name: "Mallory" }));
      assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
      assert.equal(error.extensions.field, "email");
      assert.equal(await store.findCredentials(email.trim().toLowerCase()), null, JSON.stringify(email));
    }
    const badName = await failure(service.signUp({ email: "named@example.com", password: "password-1", name: "Mal\u0000lory" }));
    assert.equal(badName.extensions.field, "name");
    assert.equal(await store.findCredentials("named@example.com"), null);
    // Astral characters are well-formed surrogate pairs, and welcome.
    assert.equal((await service.signUp({ email: "rocket🚀@example.com", password: "password-1", name: "Ünïcödé 🚀" })).user.name, "Ünïcödé 🚀");
  });

  it("refuses an email holding an invisible format character (zero-width, bidi override, line separator) at sign-up and log-in, with BAD_USER_INPUT", async () => {
    const { store, service } = await setup();
    await service.signUp({ email: "jose@example.com", password: "password-jose", name: "Jose" });
    for (const email of ["jo\u200bse@example.com", "jose\u200d@example.com", "\u202ejose@example.com", "jo\ufeffse@example.com", "jo\u00adse@example.com", "jose\u2028@example.com", "jose\u2029@example.com"]) {
      const signUp = await failure(service.signUp({ email, password: "password-1", name: "Mallory" }));
      assert.deepEqual([signUp.code, signUp.extensions.field], [ErrorCode.BAD_USER_INPUT, "email"], JSON.stringify(email));
      assert.equal(await store.findCredentials(email.toLowerCase()), null, JSON.stringify(email));
      // Not a way into jose's account: no account answers to it (malformed ones are refused).
      const logIn = await failure(service.logIn(email, "password-jose"));
      assert.ok([ErrorCode.UNAUTHENTICATED, ErrorCode.BAD_USER_INPUT].includes(logIn.code as never), `${JSON.stringify(email)}: ${logIn.code}`);
    }
    const malformed = await failure(service.logIn("not-an-email", "password-jose"));
    assert.equal(malformed.code, ErrorCode.BAD_USER_INPUT);
  });

  it("refuses an email holding a default-ignorable, private-use or blank-looking character, or a mark NFKC does not compose, as a look-alike of another, and keeps one it composes", async () => {
    const { store, service } = await setup();
    await service.signUp({ email: "x@example.com", password: "password-x-1", name: "X" });
    const lookAlikes = ["x\u034f@example.com", "x\ufe0f@example.com", "x\u3164@example.com", "x\u115f@example.com", "x\uffa0@example.com", "x\u2800@example.com", "x\u{e0100}@example.com", "x\ue000@example.com", "x\uffff@example.com", "x\u0301@example.com", "x\u0301\u0301@example.com", "\u2764\ufe0f@example.com"];
    for (const email of lookAlikes) {
      const signUp = await failure(service.signUp({ email, password: "password-1", name: "Mallory" }));
      assert.deepEqual([signUp.code, signUp.extensions.field], [ErrorCode.BAD_USER_INPUT, "email"], JSON.stringify(email));
      assert.equal(await store.findCredentials(email.normalize("NFKC").toLowerCase()), null, JSON.stringify(email));
      const logIn = await failure(service.logIn(email, "password-x-1"));
      assert.ok([ErrorCode.UNAUTHENTICATED, ErrorCode.BAD_USER_INPUT].includes(logIn.code as never), `${JSON.stringify(email)}: ${logIn.code}`);
    }
    // e + U+0301 is é once composed: the same key as the precomposed spelling, no look-alike.
    const { user } = await service.signUp({ email: "jose\u0301@example.com", password: "password-jose", name: "José" });
    assert.equal((await service.logIn("jos\u00e9@example.com", "password-jose")).user.id, user.id);
  });

  it("still signs in an account whose address an earlier rule took and today's refuses for a new one", async () => {
    const { store, service } = await setup();
    // Stored under yesterday's rule: a Devanagari vowel sign, and an emoji's variation selector.
    for (const [i, email] of ["\u0915\u093f@example.com", "love\u2764\ufe0f@example.com"].entries()) {
      assert.equal((await failure(service.signUp({ email, password: "password-new-1", name: "New" }))).code, ErrorCode.BAD_USER_INPUT, "today's rule refuses it for a new account");
      const id = `usr_old_rule_${i}`;
      await store.createUser({ id, email, emailKey: emailKey(email), name: "Old", role: "customer", passwordHash: await hashPassword("password-old-rule"), createdAt: new Date() });
      assert.equal((await service.logIn(email, "password-old-rule")).user.id, id, JSON.stringify(email));
    }
  });

  it("logs in with any letter case of the email, and fails alike for a wrong password and an unknown email", async () => {
    const { service } = await setup();
    const { user } = await service.signUp({ email: "cid@example.com", password: "password-cid", name: "Cid" });
    assert.equal((await service.logIn("CID@example.com", "password-cid")).user.id, user.id);
    const wrongPassword = await failure(service.logIn("cid@example.com", "password-wrong"));
    const unknownEmail = await failure(service.logIn("nobody@example.com", "password-cid"));
    assert.equal(wrongPassword.code, ErrorCode.UNAUTHENTICATED);
    assert.deepEqual([unknownEmail.code, unknownEmail.message, unknownEmail.extensions], [wrongPassword.code, wrongPassword.message, wrongPassword.extensions]);
  });

  it("never writes a password into the logs", async () => {
    const { service, logs } = await setup();
    await service.signUp({ email: "dee@example.com", password: "secret-sign-up-pw", name: "Dee" });
    await service.logIn("dee@example.com", "secret-sign-up-pw");
    await failure(service.logIn("dee@example.com", "secret-wrong-pw"));
    assert.ok(logs.length >= 3, "sign-up and log-ins were logged");
    for (const line of logs) assert.ok(!/secret-(sign-up|wrong)-pw|scrypt\$/.test(line), line);
  });
});

describe("account service: log-in throttling", () => {
  it("refuses an account with RATE_LIMITED and a retry hint after 5 failures, even with the right password", async () => {
    const { service } = await setup();
    await service.signUp({ email: "eve@example.com", password: "password-eve", name: "Eve" });
    for (let i = 0; i < 5; i++) assert.equal((await failure(service.logIn("eve@example.com", `guess-${i}-xx`))).code, ErrorCode.UNAUTHENTICATED);
    for (const password of ["guess-6-xx", "password-eve"]) {
      const error = await failure(service.logIn("EVE@example.com", password));
      assert.equal(error.code, ErrorCode.RATE_LIMITED);
      const retryAfter = error.extensions.retryAfterSeconds as number;
      assert.ok(retryAfter > 0 && retryAfter <= 900, `retryAfterSeconds ${retryAfter}`);
    }
  });

  it("throttles an email without an account the same way, so throttling reveals nothing", async () => {
    const { service } = await setup({ failuresPerAccount: 2 });
    for (let i = 0; i < 2; i++) await failure(service.logIn("ghost@example.com", "password-ghost"));
    assert.equal((await failure(service.logIn("ghost@example.com", "password-ghost"))).code, ErrorCode.RATE_LIMITED);
  });

  it("counts per account: another account still logs in while one is throttled", async () => {
    const { service } = await setup({ failuresPerAccount: 2 });
    await service.signUp({ email: "fay@example.com", password: "password-fay", name: "Fay" });
    await service.signUp({ email: "gus@example.com", password: "password-gus", name: "Gus" });
    for (let i = 0; i < 2; i++) await failure(service.logIn("fay@example.com", "wrong-password"));
    assert.equal((await failure(service.logIn("fay@example.com", "password-fay"))).code, ErrorCode.RATE_LIMITED);
    assert.equal((await service.logIn("gus@example.com", "password-gus")).user.email, "gus@example.com");
  });

  it("forgives an account's failures after a successful log-in", async () => {
    const { service } = await setup({ failuresPerAccount: 3 });
    await service.signUp({ email: "hal@example.com", password: "password-hal", name: "Hal" });
    for (let i = 0; i < 2; i++) await failure(service.logIn("hal@example.com", "wrong-password"));
    await service.logIn("hal@example.com", "password-hal");
    for (let i = 0; i < 2; i++) assert.equal((await failure(service.logIn("hal@example.com", "wrong-password"))).code, ErrorCode.UNAUTHENTICATED);
  });

  it("locks the guesser's network out of an account after 5 failures, never the owner's network", async () => {
    const { service } = await setup();
    await service.signUp({ email: "jim@example.com", password: "password-jim", name: "Jim" });
    const attacker = "203.0.113.66";
    for (let i = 0; i < 5; i++) assert.equal((await failure(service.logIn("jim@example.com", `guess-${i}-xx`, attacker))).code, ErrorCode.UNAUTHENTICATED);
    assert.equal((await failure(service.logIn("jim@example.com", "password-jim", attacker))).code, ErrorCode.RATE_LIMITED, "the guesser's network, even with the right password");
    assert.equal((await service.logIn("jim@example.com", "password-jim", "198.51.100.7")).user.email, "jim@example.com", "the owner's network");
    // The owner's success forgives the owner's network, not the guesser's.
    assert.equal((await failure(service.logIn("jim@example.com", "password-jim", attacker))).code, ErrorCode.RATE_LIMITED);
  });

  it("stops a guess spread over many networks at the account's ceiling, from every network", async () => {
    const { service } = await setup({ failuresPerAccount: 5, failuresPerAccountAllNetworks: 12 });
    await service.signUp({ email: "kim@example.com", password: "password-kim", name: "Kim" });
    for (let i = 0; i < 12; i++) assert.equal((await failure(service.logIn("kim@example.com", `guess-${i}-xx`, `203.0.113.${i}`))).code, ErrorCode.UNAUTHENTICATED);
    for (const network of ["203.0.113.100", "198.51.100.8"]) assert.equal((await failure(service.logIn("kim@example.com", "password-kim", network))).code, ErrorCode.RATE_LIMITED, network);
  });

  it("counts per client address across accounts, leaving other addresses alone", async () => {
    const { service } = await setup({ failuresPerAddress: 3 });
    await service.signUp({ email: "ivy@example.com", password: "password-ivy", name: "Ivy" });
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) await failure(service.logIn(email, "wrong-password", "203.0.113.7"));
    assert.equal((await failure(service.logIn("ivy@example.com", "password-ivy", "203.0.113.7"))).code, ErrorCode.RATE_LIMITED);
    assert.equal((await service.logIn("ivy@example.com", "password-ivy", "198.51.100.1")).user.email, "ivy@example.com");
  });
});

describe("account service: refresh tokens", () => {
  it("rotates the refresh token and issues a new access token for the same user", async () => {
    const { service } = await setup();
    const first = await service.signUp({ email: "jo@example.com", password: "password-jo", name: "Jo" });
    const second = await service.refresh(first.refreshToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal(second.user.id, first.user.id);
    assert.equal((await createAccessTokenVerifier(auth)(second.accessToken)).userId, first.user.id);
    const third = await service.refresh(second.refreshToken);
    assert.equal(third.user.id, first.user.id);
  });

  it("revokes the whole family when a used refresh token comes back after the replay window", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const { service } = await setup({ now: () => now });
    const first = await service.signUp({ email: "kim@example.com", password: "password-kim", name: "Kim" });
    const second = await service.refresh(first.refreshToken);
    now = new Date(now.getTime() + REFRESH_REPLAY_SECONDS * 1000 + 1);
    assert.equal((await failure(service.refresh(first.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
    assert.equal((await failure(service.refresh(second.refreshToken))).code, ErrorCode.UNAUTHENTICATED, "the latest token died with its family");
    // Other sessions of the same user are other families and live on.
    const other = await service.logIn("kim@example.com", "password-kim");
    assert.ok(await service.refresh(other.refreshToken));
  });

  it("keeps two tabs signed in that renew one session at once: one successor for both, nothing ended", async () => {
    const { service, ended, store } = await setup();
    const first = await service.signUp({ email: "tab@example.com", password: "password-tab", name: "Tab" });
    const [a, b] = await Promise.all([service.refresh(first.refreshToken), service.refresh(first.refreshToken)]);
    assert.equal(a.refreshToken, b.refreshToken, "the same successor: one live chain, not two");
    assert.deepEqual(ended, [], "no session was ended");
    const family = (await store.findRefreshToken(first.refreshToken.split(".")[0]!))!.familyId;
    assert.equal((await createAccessTokenVerifier(auth).verifyToken(b.accessToken)).session.sessionId, family);
    const next = await service.refresh(a.refreshToken);
    assert.equal(next.user.id, first.user.id, "the successor renews the session");
  });

  it("answers a refresh retried after its answer was lost with the same successor, until that successor is used", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const { service, ended } = await setup({ now: () => now });
    const first = await service.signUp({ email: "retry@example.com", password: "password-retry", name: "Retry" });
    const lost = await service.refresh(first.refreshToken);
    now = new Date(now.getTime() + 5_000);
    const retried = await service.refresh(first.refreshToken);
    assert.equal(retried.refreshToken, lost.refreshToken);
    assert.equal(ended.length, 0, "no session was ended");
    const third = await service.refresh(retried.refreshToken);
    // The successor has been used: the first token again is a reuse, whoever holds it.
    assert.equal((await failure(service.refresh(first.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
    assert.equal((await failure(service.refresh(third.refreshToken))).code, ErrorCode.UNAUTHENTICATED, "the session ended");
    assert.ok(ended.length > 0 && ended.every((end) => end.userId === first.user.id), "its access tokens ended too");
  });

  it("replays nothing for a logged-out session", async () => {
    const { service } = await setup();
    const first = await service.signUp({ email: "gone@example.com", password: "password-gone", name: "Gone" });
    const second = await service.refresh(first.refreshToken);
    assert.equal(await service.logOut(second.refreshToken), true);
    assert.equal((await failure(service.refresh(first.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
    assert.equal((await failure(service.refresh(second.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
  });

  it("refuses expired, malformed and forged refresh tokens", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const { service } = await setup({ now: () => now });
    const session = await service.signUp({ email: "lee@example.com", password: "password-lee", name: "Lee" });
    const forged = session.refreshToken.replace(/\.(.)/, (_m, c: string) => `.${c === "A" ? "B" : "A"}`);
    for (const token of ["", "garbage", forged]) assert.equal((await failure(service.refresh(token))).code, ErrorCode.UNAUTHENTICATED);
    const fresh = await service.refresh(session.refreshToken);
    now = new Date(now.getTime() + 3_601_000);
    assert.equal((await failure(service.refresh(fresh.refreshToken))).code, ErrorCode.UNAUTHENTICATED, "expired after its hour");
  });

  it("renews a token in its last millisecond though the clock turns during the renewal, and ends nothing", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    // Every reading of the clock finds it a millisecond further on.
    const ticking = () => {
      const reading = now;
      now = new Date(now.getTime() + 1);
      return reading;
    };
    const { store, service, ended } = await setup({ now: ticking });
    const session = await service.signUp({ email: "rue@example.com", password: "password-rue", name: "Rue" });
    const stored = await store.findRefreshToken(session.refreshToken.split(".")[0]!);
    now = new Date(stored!.expiresAt.getTime() - 1);
    const renewed = await service.refresh(session.refreshToken);
    assert.equal(renewed.user.id, session.user.id);
    assert.deepEqual(ended, [], "no session was ended");
  });

  it("logs out: the session's refresh tokens stop working, other sessions do not", async () => {
    const { service } = await setup();
    const phone = await service.signUp({ email: "max@example.com", password: "password-max", name: "Max" });
    const laptop = await service.logIn("max@example.com", "password-max");
    assert.equal(await service.logOut(phone.refreshToken), true);
    assert.equal(await service.logOut("garbage"), false);
    assert.equal((await failure(service.refresh(phone.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
    assert.ok(await service.refresh(laptop.refreshToken));
  });
});

describe("account service: a sign-up sent again", () => {
  it("signs in a sign-up sent again with the same email and password after its answer was lost: the account the first made, no CONFLICT", async () => {
    const { service } = await setup();
    const first = await service.signUp({ email: "tam@example.com", password: "password-tam", name: "Tam" }, "198.51.100.20");
    const again = await service.signUp({ email: "Tam@Example.com", password: "password-tam", name: "Tam" }, "198.51.100.20");
    assert.equal(again.user.id, first.user.id);
    assert.ok(await service.refresh(again.refreshToken), "a live session");
    assert.ok(await service.refresh(first.refreshToken), "and the first try's, had its answer arrived, lives on");
  });

  it("gives both sends of a double-clicked sign-up the one account's session", async () => {
    const { service } = await setup();
    const both = await Promise.all([0, 1].map(() => service.signUp({ email: "uma@example.com", password: "password-uma", name: "Uma" }, "198.51.100.21")));
    assert.equal(both[0]!.user.id, both[1]!.user.id);
  });

  it("answers CONFLICT to a taken email with another password, each a failed log-in: sign-up guesses a new account's password no faster than log-in", async () => {
    const { service } = await setup({ failuresPerAccount: 3 });
    await service.signUp({ email: "val@example.com", password: "password-val", name: "Val" }, "198.51.100.22");
    const attacker = "203.0.113.22";
    for (let guess = 0; guess < 3; guess++) {
      assert.equal((await failure(service.signUp({ email: "val@example.com", password: `guess-number-${guess}`, name: "X" }, attacker))).code, ErrorCode.CONFLICT);
    }
    assert.equal((await failure(service.signUp({ email: "val@example.com", password: "password-val", name: "X" }, attacker))).code, ErrorCode.CONFLICT, "the right guess past the budget signs nothing in");
    assert.equal((await failure(service.logIn("val@example.com", "password-val", attacker))).code, ErrorCode.RATE_LIMITED, "the guesses spent the log-in budget");
    assert.ok(await service.logIn("val@example.com", "password-val", "198.51.100.22"), "the owner's network is not locked out");
  });

  it("answers CONFLICT to the right password once the account is older than SIGN_UP_REPEAT_WINDOW_MS: a later sign-up is no log-in", async () => {
    let now = new Date("2026-03-01T10:00:00Z");
    const { service } = await setup({ now: () => now });
    await service.signUp({ email: "wes@example.com", password: "password-wes", name: "Wes" });
    now = new Date(now.getTime() + SIGN_UP_REPEAT_WINDOW_MS);
    assert.equal((await failure(service.signUp({ email: "wes@example.com", password: "password-wes", name: "Wes" }))).code, ErrorCode.CONFLICT);
  });
});

describe("account service: a log-out sent again", () => {
  it("answers a log-out sent again after its answer was lost as the first: true, the session ended, no other session touched", async () => {
    const { service, ended } = await setup();
    const phone = await service.signUp({ email: "ros@example.com", password: "password-ros", name: "Ros" });
    const laptop = await service.logIn("ros@example.com", "password-ros");
    assert.equal(await service.logOut(phone.refreshToken), true, "the first try, whose answer the network lost");
    assert.equal(await service.logOut(phone.refreshToken), true, "the retry");
    assert.equal((await failure(service.refresh(phone.refreshToken))).code, ErrorCode.UNAUTHENTICATED);
    assert.ok(await service.refresh(laptop.refreshToken), "the other device stays signed in");
    assert.ok(ended.length >= 1 && ended.every((end) => end.userId === phone.user.id));
  });

  it("answers false, ending nothing, for a token whose id is known but whose secret is not the one issued", async () => {
    const { service } = await setup();
    const session = await service.signUp({ email: "sol@example.com", password: "password-sol", name: "Sol" });
    const [id, secret] = session.refreshToken.split(".") as [string, string];
    const forged = `${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    assert.equal(await service.logOut(forged), false);
    assert.ok(await service.refresh(session.refreshToken), "the session goes on");
  });
});

describe("account service: sessions racing their end", () => {
  it("starts no session for a log-in whose password check a password reset overtook", async () => {
    const { store, service } = await setup();
    const { user } = await service.signUp({ email: "nia@example.com", password: "password-old", name: "Nia" });
    const link = newAccountToken();
    await store.insertAccountToken({ tokenHash: link.tokenHash, userId: user.id, purpose: "PASSWORD_RESET", expiresAt: new Date(Date.now() + 60_000), createdAt: new Date(), usedAt: null });
    // The reset lands while the log-in hashes the old password it read a moment before.
    const read = store.findCredentials.bind(store);
    store.findCredentials = async (key) => {
      const found = await read(key);
      assert.equal(await store.resetPassword(link.tokenHash, "scrypt$new-password", new Date()), user.id);
      return found;
    };
    const error = await failure(service.logIn("nia@example.com", "password-old"));
    assert.equal(error.code, ErrorCode.UNAUTHENTICATED, "the old password no longer opens the account");
  });

  it("ends the session of a refresh that a log-out overtook, refresh tokens and access tokens alike", async () => {
    const pauses: UserStorePausePoints = {};
    const { service, ended } = await setup({ pauses });
    const first = await service.signUp({ email: "oli@example.com", password: "password-oli", name: "Oli" });
    let release!: () => void;
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    pauses.duringRotation = () => {
      pauses.duringRotation = undefined;
      held();
      return new Promise<void>((resolve) => (release = resolve));
    };
    const refreshing = service.refresh(first.refreshToken).then(
      (session) => ({ session }),
      (error: unknown) => ({ error }),
    );
    await holding;
    assert.equal(await service.logOut(first.refreshToken), true);
    release();
    const outcome = await refreshing;
    if ("session" in outcome) assert.equal((await failure(service.refresh(outcome.session.refreshToken))).code, ErrorCode.UNAUTHENTICATED, "its new token died with the session");
    else assert.equal((await failure(Promise.reject(outcome.error))).code, ErrorCode.UNAUTHENTICATED);
    assert.ok(ended.some((end) => end.userId === first.user.id), "the session's access tokens are ended too");
  });

  it("dates a log-in's access token at its session check, so a reset ending every session while it was being signed covers it", async () => {
    const ends = new EmbeddedKeyValueStore();
    let resetDuringSigning: (() => Promise<void>) | undefined;
    const { store, service } = await setup({ beforeSigning: async () => resetDuringSigning?.() });
    const { user } = await service.signUp({ email: "pia@example.com", password: "password-pia", name: "Pia" });
    resetDuringSigning = async () => {
      resetDuringSigning = undefined;
      const link = newAccountToken();
      await store.insertAccountToken({ tokenHash: link.tokenHash, userId: user.id, purpose: "PASSWORD_RESET", expiresAt: new Date(Date.now() + 60_000), createdAt: new Date(), usedAt: null });
      assert.equal(await store.resetPassword(link.tokenHash, "scrypt$new-password", new Date()), user.id);
      // As the reset answers: the end recorded, and the clock past its second.
      await recordSessionsEnded({ kv: ends, bus: new EmbeddedEventBus(), maxTokenLifetimeSeconds: 900 }, { userId: user.id, everySession: true });
    };
    const session = await service.logIn("pia@example.com", "password-pia");
    const claims = decodeJwt(session.accessToken);
    const endedBefore = Number(await ends.get(userSessionsKey(user.id)));
    assert.ok(endedBefore > 0, "the reset recorded its end");
    assert.ok(endCovers({ userId: user.id, endedBefore }, { userId: user.id, issuedAt: claims.iat!, sessionId: claims.sid as string }), `a token of iat ${claims.iat} is refused by an end before ${endedBefore}`);
    assert.equal((await failure(service.refresh(session.refreshToken))).code, ErrorCode.UNAUTHENTICATED, "and its refresh token died with the reset");
  });

  it("ends the access tokens on a retried log-out whose first try revoked the refresh tokens but could not record the end", async () => {
    let storeDown = true;
    const { service, ended } = await setup({ endSessionFails: () => storeDown });
    const session = await service.signUp({ email: "quin@example.com", password: "password-quin", name: "Quin" });
    await assert.rejects(service.logOut(session.refreshToken), /key-value store unavailable/);
    storeDown = false;
    assert.equal(await service.logOut(session.refreshToken), true, "the session is ended, as the first try meant");
    assert.deepEqual(ended, [{ userId: session.user.id, sessionId: ended[0]?.sessionId }], "but the session's access tokens are ended now");
    assert.equal((await failure(service.refresh(session.refreshToken))).code, ErrorCode.UNAUTHENTICATED, "the refresh tokens went with the first try");
  });
});
