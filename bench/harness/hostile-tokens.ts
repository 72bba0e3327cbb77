import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { DEFAULT_TOKEN_AUDIENCE } from "#kernel";

/**
 * Access tokens every gateway under test must refuse for `userId`: a peer that let one of
 * them through would be measured doing less than ours. Forged with another secret, expired,
 * unsigned (`alg: none`), from another issuer, and a real token with its payload swapped for
 * another user's.
 */
export async function hostileTokens(auth: { secret: string; issuer: string }, userId: string, otherUserId: string): Promise<{ name: string; token: string }[]> {
  const key = new TextEncoder().encode(auth.secret);
  const now = Math.floor(Date.now() / 1000);
  const signed = (claims: { iss?: string; iat?: number; exp?: number }, secret = key) =>
    new SignJWT({ roles: ["customer"] }).setProtectedHeader({ alg: "HS256" }).setSubject(userId).setIssuer(claims.iss ?? auth.issuer).setAudience(DEFAULT_TOKEN_AUDIENCE).setIssuedAt(claims.iat ?? now).setExpirationTime(claims.exp ?? now + 600).sign(secret);
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const genuine = await signed({});
  const [header, , signature] = genuine.split(".");
  return [
    { name: "signed with another secret", token: await signed({}, randomBytes(32)) },
    { name: "expired an hour ago", token: await signed({ iat: now - 7_200, exp: now - 3_600 }) },
    { name: "unsigned (alg none)", token: `${base64url({ alg: "none", typ: "JWT" })}.${base64url({ sub: userId, roles: ["admin"], iss: auth.issuer, iat: now, exp: now + 600 })}.` },
    { name: "from another issuer", token: await signed({ iss: "someone-else" }) },
    { name: "another user's payload under this signature", token: `${header}.${base64url({ sub: otherUserId, roles: ["customer"], iss: auth.issuer, iat: now, exp: now + 600 })}.${signature}` },
  ];
}

/**
 * Passes when an answer gives the caller nothing: an HTTP refusal, or errors with no data
 * under `field`. Returns why it did not, otherwise.
 */
export function refusedCheck(field: string, label: string) {
  return (status: number, body: string): string | undefined => {
    if (status === 401 || status === 403 || status === 400) return undefined;
    let parsed: { data?: Record<string, unknown> | null; errors?: unknown[] };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return `${label}: HTTP ${status}, not JSON`;
    }
    if (parsed.data?.[field] != null) return `${label}: answered with ${field} data`;
    if (!parsed.errors?.length) return `${label}: no data and no error`;
    return undefined;
  };
}
