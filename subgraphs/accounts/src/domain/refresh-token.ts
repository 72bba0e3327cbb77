import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

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

/**
 * The token that replaces `previous` at its rotation: derived from it under the service's key
 * (an HMAC: nobody without the key computes it from the token), so the same used token always
 * gets the same successor. A client presenting its token again a moment after the rotation (a
 * second tab, a retry of a refresh whose answer was lost) is handed that successor again,
 * rather than a second live branch of the session or an end to it.
 */
export function successorRefreshToken(previous: { id: string; secret: string }, key: string): IssuedRefreshToken {
  const derive = (purpose: string, input: string) => createHmac("sha256", key).update(`refresh-token-successor:${purpose}:${input}`).digest();
  const id = `rt_${derive("id", previous.id).subarray(0, 16).toString("base64url")}`;
  const secret = derive("secret", `${previous.id}.${previous.secret}`).toString("base64url");
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
