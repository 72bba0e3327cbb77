import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { Identity, Role } from "#kernel";

const ROLES: readonly Role[] = ["customer", "admin"];

export class InvalidTokenError extends Error {}

/**
 * Verifies access tokens: RS256 against a JWKS in production, HS256 with a shared secret in
 * development and tests. The token's `sub` is the user id and `roles` its roles.
 */
export function createAccessTokenVerifier(options: { secret: string; jwksUrl?: string; issuer: string }) {
  const key = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : new TextEncoder().encode(options.secret);
  const algorithms = options.jwksUrl ? ["RS256"] : ["HS256"];
  return async (token: string): Promise<Identity> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, { issuer: options.issuer, algorithms }));
    } catch {
      throw new InvalidTokenError("The access token is invalid or expired");
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role)) : [];
    if (typeof payload.sub !== "string" || payload.sub.length === 0) throw new InvalidTokenError("The access token names no user");
    return { userId: payload.sub, roles: roles.length ? roles : ["customer"] };
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

// Issuing lives in the kernel, shared with the accounts subgraph; re-exported for existing callers.
export { issueAccessToken } from "#kernel";
