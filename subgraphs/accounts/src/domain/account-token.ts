import { createHash, randomBytes } from "node:crypto";

/**
 * One-time tokens mailed to account holders (password reset, email verification): 256 random
 * bits, base64url. Only their SHA-256 is stored, so a copy of the database opens no account;
 * a plain hash suffices (unlike passwords) because the token is beyond guessing.
 */
export type AccountTokenPurpose = "PASSWORD_RESET" | "EMAIL_VERIFICATION";

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const hashAccountToken = (token: string) => createHash("sha256").update(token).digest("hex");

export function newAccountToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashAccountToken(token) };
}

/** The stored hash a presented token would have; undefined for anything that is not one of ours. */
export function presentedTokenHash(token: string): string | undefined {
  return TOKEN.test(token) ? hashAccountToken(token) : undefined;
}
