import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Refresh tokens are `<id>.<secret>`: the id finds the stored row, the secret proves
 * possession. Only SHA-256 of the secret is stored; a plain hash suffices (unlike passwords)
 * because the secret is 256 random bits, beyond any guessing.
 */
export interface IssuedRefreshToken {
  id: string;
  token: string;
  tokenHash: string;
}

const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

export const newTokenId = (prefix: string) => `${prefix}_${randomBytes(16).toString("base64url")}`;

export function newRefreshToken(): IssuedRefreshToken {
  const id = newTokenId("rt");
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `${id}.${secret}`, tokenHash: hashSecret(secret) };
}

export function parseRefreshToken(token: string): { id: string; secret: string } | undefined {
  const match = /^(rt_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function secretMatches(secret: string, tokenHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(tokenHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
