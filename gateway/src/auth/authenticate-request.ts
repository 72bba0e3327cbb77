import type { IncomingHttpHeaders } from "node:http";
import type { Identity } from "#kernel";
import { InvalidTokenError, type AccessTokenVerifier, type VerifiedToken } from "./access-token-verifier.js";

/**
 * Reads `Authorization: Bearer <token>`. No header means an anonymous caller; a header with
 * a bad token is an error rather than silently anonymous, so clients notice expiry.
 */
export async function authenticate(verify: AccessTokenVerifier, authorization: string | undefined): Promise<Identity | undefined> {
  return (await authenticateToken(verify, authorization))?.identity;
}

/** As `authenticate`, with the token's session and the moment it stops being accepted (a WebSocket ends then). */
export async function authenticateToken(verify: AccessTokenVerifier, authorization: string | undefined): Promise<VerifiedToken | undefined> {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new InvalidTokenError('The Authorization header must be "Bearer <access token>"');
  return verify.verifyToken(match[1]!);
}

/**
 * The `authorization` of a graphql-ws `connection_init` payload, the WebSocket's header. Its
 * name is matched in any letter case, as an HTTP header's is. Absent means an anonymous
 * caller; present, it must be exactly one string: a number, an object, null or two spellings
 * of the name are a client's mistake or a probe, and are refused like a bad token rather than
 * served as anonymous, so a client never believes it is signed in when it is not.
 */
export function connectionAuthorization(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const given = Object.entries(params ?? {}).filter(([name]) => name.toLowerCase() === "authorization");
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new InvalidTokenError("Send the access token once, as authorization");
  const value = given[0]![1];
  if (typeof value !== "string") throw new InvalidTokenError("authorization must be a string: Bearer <access token>");
  return value;
}

export const authorizationHeader = (headers: IncomingHttpHeaders): string | undefined => {
  const value = headers.authorization;
  return Array.isArray(value) ? value[0] : value;
};
