import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { createAccessTokenIssuer, DEFAULT_TOKEN_AUDIENCE, loadConfig } from "#kernel";
import { accessTokenVerifierFor, createAccessTokenVerifier, InvalidTokenError } from "../src/auth/access-token-verifier.js";
import { authenticate } from "../src/auth/authenticate-request.js";
import type { SubjectDirectory } from "../src/auth/subject-directory.js";

const auth = { issuer: "storefront-test", secret: "verifier-test-secret-0123456789-0123456789" };
const key = new TextEncoder().encode(auth.secret);
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;

/** A token with exactly the claims given: nothing filled in. */
function token(claims: { sub?: string; iat?: number; exp?: number; roles?: string[] }): Promise<string> {
  return new SignJWT({ roles: claims.roles ?? ["customer"], ...claims }).setProtectedHeader({ alg: "HS256" }).setIssuer(auth.issuer).setAudience(DEFAULT_TOKEN_AUDIENCE).sign(key);
}

async function refusal(work: Promise<unknown>): Promise<InvalidTokenError> {
  const error = await work.then(
    () => assert.fail("expected the token to be refused"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(error)}`);
  return error;
}

describe("access tokens: the claims the gateway requires", () => {
  const verify = createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 3_600, now: () => NOW });

  it("accepts a token as the accounts subgraph issues it", async () => {
    const issued = await createAccessTokenIssuer({ ...auth, ttlSeconds: 900 }).issue({ userId: "usr_1", roles: ["customer", "admin"] });
    assert.deepEqual(await createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 900 })(issued.token), { userId: "usr_1", roles: ["customer", "admin"] });
  });

  it("refuses a token another deployment issued with the same secret, or one naming no deployment, saying it is not this store's", async () => {
    const staging = createAccessTokenIssuer({ ...auth, audience: "storefront-staging", ttlSeconds: 900 });
    const production = createAccessTokenIssuer({ ...auth, audience: "storefront-production", ttlSeconds: 900 });
    const verifyProduction = createAccessTokenVerifier({ ...auth, audience: "storefront-production", maxLifetimeSeconds: 900 });
    const nowSeconds = Math.floor(Date.now() / 1000);
    // As every token was signed before audiences: the same secret, issuer and claims, no `aud`.
    const withoutAudience = await new SignJWT({ roles: ["customer"] }).setProtectedHeader({ alg: "HS256" }).setIssuer(auth.issuer).setSubject("usr_1").setIssuedAt(nowSeconds).setExpirationTime(nowSeconds + 900).sign(key);
    for (const token of [(await staging.issue({ userId: "usr_1", roles: ["customer", "admin"] })).token, withoutAudience]) {
      const refused = await refusal(verifyProduction(token));
      assert.match(refused.message, /not issued for this store; renew it with refreshToken/);
      assert.ok(Buffer.byteLength(refused.message) <= 123, "short enough to close a WebSocket with");
    }
    assert.deepEqual(await verifyProduction((await production.issue({ userId: "usr_1", roles: ["customer"] })).token), { userId: "usr_1", roles: ["customer"] });
  });

  it("accepts a token issued as the clock's second turns: it lives exactly its ttl, the gateway's limit", async () => {
    const RealDate = Date;
    // Every reading of the clock (Date.now() or new Date()) is 0.6 s later than the one before,
    // starting just short of a second.
    let clock = Math.floor(RealDate.now() / 1000) * 1000 + 900;
    const read = () => (clock += 600) - 600;
    globalThis.Date = class extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(read());
        else super(...(args as [string]));
      }
      static override now() {
        return read();
      }
    } as DateConstructor;
    let issued;
    try {
      issued = await createAccessTokenIssuer({ ...auth, ttlSeconds: 900 }).issue({ userId: "usr_1", roles: ["customer"] });
    } finally {
      globalThis.Date = RealDate;
    }
    const { iat, exp } = JSON.parse(Buffer.from(issued.token.split(".")[1]!, "base64url").toString()) as { iat: number; exp: number };
    assert.equal(exp - iat, 900);
    assert.deepEqual(await createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 900, now: () => new Date(iat * 1000) })(issued.token), { userId: "usr_1", roles: ["customer"] });
  });

  it("refuses a token without exp, which would otherwise be valid forever", async () => {
    await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds })));
  });

  it("refuses a token without iat, whose lifetime cannot be judged", async () => {
    await refusal(verify(await token({ sub: "usr_1", exp: nowSeconds + 600 })));
  });

  it("refuses a token that lives longer than the configured maximum, even while fresh", async () => {
    const error = await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds - 10, exp: nowSeconds - 10 + 3_601 })));
    assert.match(error.message, /lives longer/);
    assert.ok(await verify(await token({ sub: "usr_1", iat: nowSeconds - 10, exp: nowSeconds - 10 + 3_600 })));
  });

  it("refuses a token issued in the future beyond the clock skew, and tolerates a small skew", async () => {
    await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds + 3_600, exp: nowSeconds + 3_600 + 900 })));
    await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds + 31, exp: nowSeconds + 31 + 900 })));
    assert.ok(await verify(await token({ sub: "usr_1", iat: nowSeconds + 20, exp: nowSeconds + 20 + 900 })));
  });

  it("refuses an expired token and one older than the maximum lifetime", async () => {
    await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds - 900, exp: nowSeconds - 60 })));
    await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds - 3_700, exp: nowSeconds + 60 })));
  });

  it("tells an expired token, a placeholder and a token of another key apart, each with its remedy, short enough to close a WebSocket with", async () => {
    const expired = await refusal(verify(await token({ sub: "usr_1", iat: nowSeconds - 900, exp: nowSeconds - 60 })));
    assert.match(expired.message, /has expired; renew it with refreshToken, or log in again/);
    for (const pasted of ["<accessToken>", "eyJhbGciOiJIUzI1NiJ9", ""]) {
      assert.match((await refusal(verify(pasted))).message, /not an access token: send the accessToken of logIn or signUp/, pasted);
    }
    const otherKey = await new SignJWT({ roles: ["customer"], sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 }).setProtectedHeader({ alg: "HS256" }).setIssuer(auth.issuer).sign(new TextEncoder().encode("another-secret-0123456789-0123456789"));
    assert.equal((await refusal(verify(otherKey))).message, "The access token is invalid or expired");
    for (const error of [expired, await refusal(verify("<accessToken>"))]) assert.ok(Buffer.byteLength(error.message) <= 123, error.message);
  });

  it("refuses a subject that is missing, empty, too long, or not plain text", async () => {
    for (const sub of [undefined, "", "u".repeat(129), "usr_\u0000", "usr_\n1", "usr_\uD800"]) {
      await refusal(verify(await token({ sub, iat: nowSeconds, exp: nowSeconds + 900 })));
    }
  });
});

describe("access tokens: a verified token remembered", () => {
  it("refuses a token, remembered or not, from the second it expires: the skew excuses an early iat, not a late exp", async () => {
    let now = NOW;
    const verify = createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 3_600, now: () => now });
    const fresh = createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 3_600, now: () => now });
    const short = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 5 });
    assert.equal((await verify(short)).userId, "usr_1");
    assert.equal(verify.remembered(), 1);
    now = new Date((nowSeconds + 5) * 1000 - 1);
    assert.equal((await verify(short)).userId, "usr_1", "its last millisecond");
    assert.equal((await fresh(short)).userId, "usr_1");
    // Was accepted for 30 s more over HTTP, while a socket it opened closed at exp.
    now = new Date((nowSeconds + 5) * 1000);
    assert.match((await refusal(verify(short))).message, /has expired/);
    assert.match((await refusal(fresh(short))).message, /has expired/);
    now = new Date((nowSeconds + 5 + 29) * 1000);
    await refusal(createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 3_600, now: () => now })(short));
  });

  it("tells a socket the moment HTTP starts refusing its token", async () => {
    const verify = createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 3_600, now: () => NOW });
    const issued = await token({ sub: "usr_1", iat: nowSeconds - 10, exp: nowSeconds + 900 });
    const first = await verify.verifyToken(issued);
    const remembered = await verify.verifyToken(issued);
    assert.equal(first.refusedFromMs, (nowSeconds + 900) * 1000);
    assert.equal(remembered.refusedFromMs, first.refusedFromMs);
    assert.deepEqual(first.session, { userId: "usr_1", issuedAt: nowSeconds - 10, sessionId: undefined });
  });

  it("refuses a token whose signature or claims differ by one character from a remembered one", async () => {
    const verify = createAccessTokenVerifier({ ...auth, now: () => NOW });
    const good = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 });
    await verify(good);
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    await refusal(verify(`${header}.${payload}.${flip(signature, 5)}`));
    const admin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), roles: ["admin"] })).toString("base64url");
    await refusal(verify(`${header}.${admin}.${signature}`));
    assert.equal(verify.remembered(), 1, "refused tokens take no room");
    assert.deepEqual(await verify(good), { userId: "usr_1", roles: ["customer"] });
  });

  it("still asks whether the account exists on every request: closing it ends a remembered token", async () => {
    const open = new Set(["usr_1"]);
    const verify = createAccessTokenVerifier({ ...auth, now: () => NOW, subjects: { hasAccount: async (userId) => open.has(userId) } });
    const issued = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 });
    await verify(issued);
    open.delete("usr_1");
    const error = await refusal(verify(issued));
    assert.match(error.message, /has no account/);
  });

  it("remembers at most maxRemembered tokens, the oldest forgotten first and verified again when it returns", async () => {
    const verify = createAccessTokenVerifier({ ...auth, now: () => NOW, maxRemembered: 2 });
    const tokens = await Promise.all(["usr_a", "usr_b", "usr_c"].map((sub) => token({ sub, iat: nowSeconds, exp: nowSeconds + 900 })));
    for (const issued of tokens) await verify(issued);
    assert.equal(verify.remembered(), 2);
    assert.equal((await verify(tokens[0]!)).userId, "usr_a");
    assert.equal(verify.remembered(), 2);
  });

  it("answers many requests of one token at once alike (a page's parallel calls, two tabs), and refuses a forged one every time", async () => {
    const verify = createAccessTokenVerifier({ ...auth, now: () => NOW });
    const issued = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => verify(issued)));
    assert.ok(answers.every((answer) => answer.userId === "usr_1"));
    assert.equal(verify.remembered(), 1);
    const forged = await new SignJWT({ roles: ["admin"] }).setProtectedHeader({ alg: "HS256" }).setIssuer(auth.issuer).setSubject("usr_1").setIssuedAt(nowSeconds).setExpirationTime(nowSeconds + 900).sign(new TextEncoder().encode("another-secret-0123456789-0123456789"));
    const refused = await Promise.all(Array.from({ length: 50 }, () => verify(forged).then(() => false, (error: unknown) => error instanceof InvalidTokenError)));
    assert.ok(refused.every(Boolean));
    assert.equal(verify.remembered(), 1);
  });

  it("hands each caller its own identity: changing one answer changes no other", async () => {
    const verify = createAccessTokenVerifier({ ...auth, now: () => NOW });
    const issued = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 });
    const first = await verify(issued);
    (first.roles as string[]).push("admin");
    assert.deepEqual(await verify(issued), { userId: "usr_1", roles: ["customer"] });
  });
});

describe("access tokens: subjects without an account", () => {
  const directory = (known: string[]): SubjectDirectory & { asked: string[] } => {
    const asked: string[] = [];
    return { asked, hasAccount: async (userId) => (asked.push(userId), known.includes(userId)) };
  };

  it("refuses a validly signed token whose user has no account, when a directory is given", async () => {
    const subjects = directory(["usr_real"]);
    const verify = createAccessTokenVerifier({ ...auth, subjects, now: () => NOW });
    assert.equal((await verify(await token({ sub: "usr_real", iat: nowSeconds, exp: nowSeconds + 900 }))).userId, "usr_real");
    const error = await refusal(verify(await token({ sub: "demo-admin", iat: nowSeconds, exp: nowSeconds + 900, roles: ["admin"] })));
    assert.match(error.message, /has no account/);
    assert.deepEqual(subjects.asked, ["usr_real", "demo-admin"]);
  });

  it("does not ask the directory about a token that fails its signature or claims", async () => {
    const subjects = directory([]);
    const verify = createAccessTokenVerifier({ ...auth, subjects, now: () => NOW });
    await refusal(verify(await token({ sub: "usr_x", iat: nowSeconds })));
    const forged = await new SignJWT({ roles: ["admin"] }).setProtectedHeader({ alg: "HS256" }).setIssuer(auth.issuer).setSubject("usr_x").setIssuedAt(nowSeconds).setExpirationTime(nowSeconds + 900).sign(new TextEncoder().encode("another-secret-0123456789-0123456789"));
    await refusal(verify(forged));
    assert.deepEqual(subjects.asked, []);
  });

  it("asks only in production: elsewhere tokens for made-up users work (tools, tests), in production an unconfirmed subject does not", async () => {
    // The refusal itself is proven through the whole supergraph (test/e2e/production-hygiene.e2e.test.ts);
    // here accounts is unreachable, so only a verifier that never asks can accept.
    assert.equal(await verifyMadeUpUser({ APP_ENV: "test" }), "made-up-user");
    assert.equal(await verifyMadeUpUser({ APP_ENV: "development" }), "made-up-user");
    const production = await verifyMadeUpUser({ APP_ENV: "production", JWT_AUDIENCE: "storefront-production", JWT_SECRET: auth.secret, INTERNAL_SECRET: "internal-production-secret-0123456789" });
    assert.ok(production instanceof Error, `production accepted a user nobody could confirm: ${String(production)}`);
  });
});

/** The configuration's verifier on a token for a made-up user, with accounts unreachable: its user id, or the error. */
async function verifyMadeUpUser(env: Record<string, string>): Promise<unknown> {
  const config = loadConfig({ ...env, ACCOUNTS_URL: "http://127.0.0.1:9/graphql" });
  const issuer = createAccessTokenIssuer({ issuer: config.auth.jwtIssuer, audience: config.auth.jwtAudience, secret: config.auth.jwtSecret, ttlSeconds: config.auth.accessTokenTtlSeconds });
  const { token: issued } = await issuer.issue({ userId: "made-up-user", roles: ["customer"] });
  return accessTokenVerifierFor(config)(issued).then(
    (identity) => identity.userId,
    (error: unknown) => error,
  );
}

describe("access tokens: the Authorization header", () => {
  const verify = createAccessTokenVerifier({ ...auth, maxLifetimeSeconds: 3_600, now: () => NOW });

  it("takes the token after Bearer, in any letter case, and no header as an anonymous caller", async () => {
    const good = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 });
    assert.equal((await authenticate(verify, `bearer ${good}`))?.userId, "usr_1");
    assert.equal(await authenticate(verify, undefined), undefined);
  });

  it("refuses a token sent without Bearer, saying how to send it", async () => {
    const good = await token({ sub: "usr_1", iat: nowSeconds, exp: nowSeconds + 900 });
    for (const header of [good, `Token ${good}`, `Bearer ${good} extra`]) {
      assert.equal((await refusal(authenticate(verify, header))).message, 'The Authorization header must be "Bearer <access token>"', header);
    }
  });
});
