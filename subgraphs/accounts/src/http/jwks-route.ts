import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessTokenIssuer } from "#kernel";

export const JWKS_PATH = "/.well-known/jwks.json";

/**
 * Serves the public keys access tokens are signed with, for the gateway's JWKS_URL. Public
 * by nature (no credential asked); cacheable for a while, since a key rotation publishes the
 * new key alongside the old one before signing with it.
 */
export function jwksRoute(issuer: AccessTokenIssuer): Record<string, (req: IncomingMessage, res: ServerResponse) => void> {
  const jwks = issuer.publicJwks();
  if (!jwks) return {};
  return {
    [JWKS_PATH]: (req, res) => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      jwks.then(
        (body) => res.writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=300" }).end(JSON.stringify(body)),
        () => res.writeHead(500).end(),
      );
    },
  };
}
