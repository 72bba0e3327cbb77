import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, SignJWT, type JWK } from "jose";
import type { Identity } from "./identity.js";

/**
 * Issuing access tokens, in one place for the accounts subgraph (real sign-ins) and for
 * development tokens. The gateway verifies what is issued here: HS256 with the shared
 * secret, or RS256 against the JWKS the issuer publishes (`publicJwks`).
 */
export interface AccessTokenIssuer {
  readonly algorithm: "HS256" | "RS256";
  readonly ttlSeconds: number;
  /**
   * `sessionId` (the `sid` claim) names the sign-in the token belongs to, so ending that session
   * ends its access tokens. `issuedAt` (default: now) is the moment the session was last found
   * live: the token claims no later birth (`iat`), so an end of every session recorded after
   * that check covers it however long the signing waited.
   */
  issue(identity: TokenSubject): Promise<{ token: string; expiresIn: number }>;
  /** The public key set for RS256 (what `/.well-known/jwks.json` serves); undefined for HS256. */
  publicJwks(): Promise<{ keys: JWK[] }> | undefined;
}

export type TokenSubject = Identity & { sessionId?: string; issuedAt?: Date };

/**
 * The audience of tokens whose issuer or verifier is given none: development, tests and tools.
 * A deployment names its own (`JWT_AUDIENCE`, required in production), so another deployment's
 * tokens are refused even where the two share a signing secret or key.
 */
export const DEFAULT_TOKEN_AUDIENCE = "storefront";

export interface AccessTokenIssuerOptions {
  issuer: string;
  /** The deployment the tokens are for (`aud`); default `DEFAULT_TOKEN_AUDIENCE`. */
  audience?: string;
  ttlSeconds: number;
  /** HS256 secret, used when no private key is given. */
  secret: string;
  /** RS256 private key (PEM); wins over the secret. */
  privateKeyPem?: string;
}

export function createAccessTokenIssuer(options: AccessTokenIssuerOptions): AccessTokenIssuer {
  if (!options.privateKeyPem) {
    const key = new TextEncoder().encode(options.secret);
    return {
      algorithm: "HS256",
      ttlSeconds: options.ttlSeconds,
      issue: async (identity) => ({ token: await sign(identity, options, key, { alg: "HS256" }), expiresIn: options.ttlSeconds }),
      publicJwks: () => undefined,
    };
  }
  const privateKey = createPrivateKey(options.privateKeyPem);
  // Only the public half ever leaves this module: a JWK exported from the private key
  // would carry d, p, q and the CRT values.
  const publicJwk = createPublicKey(privateKey).export({ format: "jwk" }) as JWK;
  const jwks = (async () => {
    const kid = await calculateJwkThumbprint(publicJwk);
    return { kid, keys: [{ kty: publicJwk.kty, n: publicJwk.n, e: publicJwk.e, kid, alg: "RS256", use: "sig" }] };
  })();
  return {
    algorithm: "RS256",
    ttlSeconds: options.ttlSeconds,
    async issue(identity) {
      const { kid } = await jwks;
      return { token: await sign(identity, options, privateKey, { alg: "RS256", kid }), expiresIn: options.ttlSeconds };
    },
    publicJwks: async () => ({ keys: (await jwks).keys }),
  };
}

function sign(identity: TokenSubject, options: AccessTokenIssuerOptions, key: Uint8Array | KeyObject, header: { alg: string; kid?: string }): Promise<string> {
  // One reading of the clock for both: each taken apart, a second can turn between them and
  // the token then lives ttl + 1 s, which a gateway whose limit is the ttl refuses.
  const issuedAt = Math.floor(Math.min(identity.issuedAt?.getTime() ?? Infinity, Date.now()) / 1000);
  return new SignJWT({ roles: identity.roles, ...(identity.sessionId ? { sid: identity.sessionId } : {}) })
    .setProtectedHeader(header)
    .setSubject(identity.userId)
    .setIssuer(options.issuer)
    .setAudience(options.audience ?? DEFAULT_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .sign(key);
}

/** Issues an HS256 access token (development tokens and tests). */
export async function issueAccessToken(options: { secret: string; issuer: string; audience?: string }, identity: Identity, ttlSeconds = 3600): Promise<string> {
  return (await createAccessTokenIssuer({ ...options, ttlSeconds }).issue(identity)).token;
}
