import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it, mock } from "node:test";
import { jwtVerify, SignJWT } from "jose";
import { DEFAULT_TOKEN_AUDIENCE } from "#kernel";
import { createAccessTokenVerifier } from "../src/auth/access-token-verifier.js";
import { createHs256Verifier } from "../src/auth/hs256-token.js";

const SECRET = "hs256-test-secret-0123456789-0123456789";
const key = new TextEncoder().encode(SECRET);
const NOW = new Date("2026-12-01T12:00:00Z");
const now = NOW.getTime() / 1000;
const CLAIMS = { issuer: "storefront-test", audience: DEFAULT_TOKEN_AUDIENCE, maxTokenAge: 3_600, clockTolerance: 30 };

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
/** A token of exactly this header and payload text, signed with `secret` over what is written. */
function raw(header: unknown, payload: unknown, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}
const good = { iss: CLAIMS.issuer, aud: DEFAULT_TOKEN_AUDIENCE, sub: "usr_1", iat: now - 10, exp: now + 900, roles: ["customer"] };

/** What jose says of a token with the options the gateway gave it: the payload, or the error's code and claim. */
async function joseVerdict(token: string) {
  try {
    const { payload } = await jwtVerify(token, key, {
      issuer: CLAIMS.issuer,
      audience: CLAIMS.audience,
      algorithms: ["HS256"],
      requiredClaims: ["exp", "iat", "sub"],
      maxTokenAge: CLAIMS.maxTokenAge,
      clockTolerance: CLAIMS.clockTolerance,
      currentDate: NOW,
    });
    return { payload };
  } catch (error) {
    return { code: (error as { code?: string }).code, claim: (error as { claim?: string }).claim };
  }
}

function ourVerdict(token: string) {
  try {
    return { payload: createHs256Verifier(SECRET)(token, CLAIMS, NOW) };
  } catch (error) {
    return { code: (error as { code?: string }).code, claim: (error as { claim?: string }).claim };
  }
}

describe("HS256 tokens verified on node's HMAC", () => {
  it("accepts and refuses what jose accepts and refuses, with jose's error code and claim", async () => {
    const cases: Record<string, string> = {
      "as issued": await new SignJWT({ roles: ["customer"] }).setProtectedHeader({ alg: "HS256" }).setSubject("usr_1").setIssuer(CLAIMS.issuer).setAudience(DEFAULT_TOKEN_AUDIENCE).setIssuedAt(now - 5).setExpirationTime(now + 900).sign(key),
      "typ and kid in the header": raw({ alg: "HS256", typ: "JWT", kid: "k1" }, good),
      "audience among several": raw({ alg: "HS256" }, { ...good, aud: ["other", DEFAULT_TOKEN_AUDIENCE] }),
      "another audience": raw({ alg: "HS256" }, { ...good, aud: "other" }),
      "no audience": raw({ alg: "HS256" }, { ...good, aud: undefined }),
      "another issuer": raw({ alg: "HS256" }, { ...good, iss: "someone" }),
      "no issuer": raw({ alg: "HS256" }, { ...good, iss: undefined }),
      "no subject": raw({ alg: "HS256" }, { ...good, sub: undefined }),
      "no exp": raw({ alg: "HS256" }, { ...good, exp: undefined }),
      "no iat": raw({ alg: "HS256" }, { ...good, iat: undefined }),
      "iat as text": raw({ alg: "HS256" }, { ...good, iat: String(now) }),
      "exp as text": raw({ alg: "HS256" }, { ...good, exp: String(now + 900) }),
      "expired": raw({ alg: "HS256" }, { ...good, exp: now - 31 }),
      "expired within the skew": raw({ alg: "HS256" }, { ...good, exp: now - 29 }),
      "expired at the skew's edge": raw({ alg: "HS256" }, { ...good, exp: now - 30 }),
      "older than the lifetime": raw({ alg: "HS256" }, { ...good, iat: now - 3_600 - 31 }),
      "as old as the lifetime and skew": raw({ alg: "HS256" }, { ...good, iat: now - 3_600 - 30 }),
      "issued in the future": raw({ alg: "HS256" }, { ...good, iat: now + 31 }),
      "issued within the skew ahead": raw({ alg: "HS256" }, { ...good, iat: now + 30 }),
      "not before the future": raw({ alg: "HS256" }, { ...good, nbf: now + 31 }),
      "not before, within the skew": raw({ alg: "HS256" }, { ...good, nbf: now + 30 }),
      "nbf as text": raw({ alg: "HS256" }, { ...good, nbf: "soon" }),
      "alg none": raw({ alg: "none" }, good),
      "alg HS512": raw({ alg: "HS512" }, good),
      "alg RS256": raw({ alg: "RS256" }, good),
      "no alg": raw({ typ: "JWT" }, good),
      "crit extension": raw({ alg: "HS256", crit: ["exp"], exp: 1 }, good),
      "unencoded payload": raw({ alg: "HS256", crit: ["b64"], b64: false }, good),
      "b64 named critical and true": raw({ alg: "HS256", crit: ["b64"], b64: true }, good),
      "b64 named critical, absent": raw({ alg: "HS256", crit: ["b64"] }, good),
      "crit empty": raw({ alg: "HS256", crit: [] }, good),
      "crit not a list": raw({ alg: "HS256", crit: "b64" }, good),
      "another key": raw({ alg: "HS256" }, good, "another-secret-0123456789-0123456789"),
      "header not JSON": raw("{alg", good),
      "header an array": raw(["HS256"], good),
      "payload not JSON": raw({ alg: "HS256" }, "not json"),
      "payload an array": raw({ alg: "HS256" }, [good]),
      "payload null": raw({ alg: "HS256" }, "null"),
      "two parts": raw({ alg: "HS256" }, good).split(".").slice(0, 2).join("."),
      "four parts": `${raw({ alg: "HS256" }, good)}.x`,
      "empty": "",
      "placeholder": "<accessToken>",
    };
    for (const [name, token] of Object.entries(cases)) {
      assert.deepEqual(ourVerdict(token), await joseVerdict(token), name);
    }
    assert.ok(ourVerdict(cases["as issued"]!).payload, "the valid token is accepted");
  });

  it("refuses a token whose signature or signed text differs by one character", () => {
    const token = raw({ alg: "HS256" }, good);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    for (const forged of [`${header}.${payload}.${flip(signature, 0)}`, `${header}.${payload}.${signature.slice(0, -1)}`, `${header}.${flip(payload, 3)}.${signature}`, `${flip(header, 2)}.${payload}.${signature}`]) {
      assert.ok(ourVerdict(forged).code, `refused: ${forged}`);
    }
  });

  it("refuses a signature written other than in canonical base64url, which jose decodes to the same bytes", () => {
    const token = raw({ alg: "HS256" }, good);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    // 32 bytes are 43 characters; the last carries 2 unused bits, set here.
    const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(signature.at(-1)!);
    const variant = `${signature.slice(0, -1)}${"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1]}`;
    assert.notEqual(variant, signature, "the test token's last character has a free bit");
    assert.equal(ourVerdict(`${header}.${payload}.${variant}`).code, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    assert.ok(ourVerdict(token).payload);
  });

  it("the gateway's verifier checks an HS256 token without WebCrypto: no key import or thread-pool job per token", async () => {
    const importKey = mock.method(crypto.subtle, "importKey");
    const verify = mock.method(crypto.subtle, "verify");
    try {
      const verifier = createAccessTokenVerifier({ secret: SECRET, issuer: CLAIMS.issuer, now: () => NOW });
      for (let i = 0; i < 20; i++) {
        const identity = await verifier(raw({ alg: "HS256" }, { ...good, sub: `usr_${i}` }));
        assert.equal(identity.userId, `usr_${i}`);
      }
      assert.equal(importKey.mock.callCount(), 0, "keys imported");
      assert.equal(verify.mock.callCount(), 0, "WebCrypto verifications");
    } finally {
      importKey.mock.restore();
      verify.mock.restore();
    }
  });
});
