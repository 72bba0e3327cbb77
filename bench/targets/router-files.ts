import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The composed supergraph with each subgraph's routing URL replaced by this run's: the
 * compiled routers read their subgraph addresses from `join__graph(url:)` and the bench's
 * subgraphs listen on free ports. A subgraph of the supergraph the run did not start is an
 * error, not a silent stale address.
 */
export function supergraphWithRoutingUrls(sdl: string, urls: Record<string, string>): string {
  const seen = new Set<string>();
  const rewritten = sdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_match, name: string) => {
    const url = urls[name];
    if (!url) throw new Error(`The run has no URL for subgraph ${name}`);
    seen.add(name);
    return `@join__graph(name: "${name}", url: ${JSON.stringify(url)})`;
  });
  if (seen.size === 0) throw new Error("The supergraph names no subgraph (join__graph)");
  return rewritten;
}

/**
 * The shared HS256 secret as a JSON Web Key Set (an `oct` key): how both routers take a
 * symmetric key for their JWT verification.
 */
export function jwksForSecret(secret: string): { keys: Record<string, string>[] } {
  return { keys: [{ kty: "oct", alg: "HS256", use: "sig", kid: "storefront", k: Buffer.from(secret).toString("base64url") }] };
}

/**
 * Writes the supergraph with the run's routing URLs into the run's directory; returns its
 * absolute path (a router resolves relative paths against its configuration file's folder).
 */
export function writeRoutedSupergraph(dir: string, name: string, supergraphPath: string, subgraphUrls: Record<string, string>): string {
  const path = resolve(dir, `${name}.supergraph.graphql`);
  writeFileSync(path, supergraphWithRoutingUrls(readFileSync(supergraphPath, "utf8"), subgraphUrls));
  return path;
}

/** Writes the JWKS into the run's directory, readable by this user only (it holds the secret); absolute path. */
export function writeJwks(dir: string, name: string, secret: string): string {
  const path = resolve(dir, `${name}.jwks.json`);
  writeFileSync(path, JSON.stringify(jwksForSecret(secret)), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}
