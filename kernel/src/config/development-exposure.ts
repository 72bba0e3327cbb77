import { isIP } from "node:net";

/**
 * Development publishes its credentials: the JWT and internal secrets' defaults are in this
 * repository and the seeded admin's password is in the README. On this machine alone that is
 * the point (the banner prints tokens); reachable from others, anyone could sign an admin token,
 * sign a subgraph's internal header or log in as the admin. The image runs development unless
 * told otherwise (APP_ENV), so `HOST=0.0.0.0` without it exposed exactly that.
 */

/** Whether a bind address reaches only this machine: a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (name === "localhost") return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || /^::ffff:127\./.test(name);
  return false;
}

/**
 * The problem to report when development (or test) would listen beyond this machine with a published
 * credential still in use; undefined when it listens on loopback or every such credential is
 * the operator's own.
 */
export function developmentExposureProblem(host: string, published: readonly string[]): string | undefined {
  if (isLoopbackHost(host) || published.length === 0) return undefined;
  return (
    `HOST=${host} lets other machines reach a platform outside production whose ${published.join(", ")} ${published.length === 1 ? "is" : "are"} published ` +
    `(anyone reaching it could act as an admin): set APP_ENV=production with its own secrets, set ${published.length === 1 ? "it" : "them"}, or listen on HOST=127.0.0.1`
  );
}
