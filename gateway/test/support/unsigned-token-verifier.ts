import type { Identity } from "#kernel";
import type { AccessTokenVerifier, VerifiedToken } from "../../src/auth/access-token-verifier.js";

/**
 * A verifier that takes every token as signed: the claims are read, the signature is not
 * checked. For tests about what happens after sign-in (sessions, caps), not the signature.
 */
export function unsignedTokenVerifier(): AccessTokenVerifier {
  const verifyToken = async (token: string): Promise<VerifiedToken> => {
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { sub: string; iat?: number; exp?: number; sid?: string };
    const identity = { userId: claims.sub, roles: ["customer"] } as Identity;
    return { identity, session: { userId: claims.sub, issuedAt: claims.iat ?? 0, sessionId: claims.sid }, refusedFromMs: (claims.exp ?? 0) * 1000 };
  };
  return Object.assign(async (token: string) => (await verifyToken(token)).identity, { verifyToken, remembered: () => 0 });
}
