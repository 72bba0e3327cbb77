import type { IncomingHttpHeaders } from "node:http";
import type { Identity } from "#kernel";
import type { AccessTokenVerifier } from "./access-token-verifier.js";

/**
 * Reads `Authorization: Bearer <token>`. No header means an anonymous caller; a header with
 * a bad token is an error rather than silently anonymous, so clients notice expiry.
 */
export async function authenticate(verify: AccessTokenVerifier, authorization: string | undefined): Promise<Identity | undefined> {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) return verify("");
  return verify(match[1]!);
}

export const authorizationHeader = (headers: IncomingHttpHeaders): string | undefined => {
  const value = headers.authorization;
  return Array.isArray(value) ? value[0] : value;
};
