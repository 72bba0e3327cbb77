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

/**
 * Whether a request's Host header names this machine by a loopback name or address. A web page
 * whose domain an attacker re-points at 127.0.0.1 (DNS rebinding) reaches a platform on loopback
 * as the same origin, Host and Origin both naming that domain: CSRF checks and the WebSocket's
 * origin check pass, and the published credentials do the rest.
 */
export function hostHeaderNamesLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d*$/, "");
  // RFC 6761: every name under .localhost is loopback, and browsers resolve it so themselves.
  return isLoopbackHost(name) || name.toLowerCase().endsWith(".localhost");
}

/**
 * The Host check of a platform on published credentials (development, which binds loopback
 * only while they are in use): requests must name loopback. Undefined, no check, once the
 * operator's own credentials are set, and outside development.
 */
export function loopbackHostCheck(config: { env: string; publishedCredentials: readonly string[] }): ((host: string | undefined) => boolean) | undefined {
  return config.env === "development" && config.publishedCredentials.length > 0 ? hostHeaderNamesLoopback : undefined;
}

/** The refusal of a request naming this platform otherwise, in every server's words. */
export const REBOUND_HOST_MESSAGE =
  "This development platform answers only at localhost or 127.0.0.1: its credentials are published, and a page that reaches it under another name (DNS rebinding) could use them. Set JWT_SECRET, INTERNAL_SECRET and DEV_ADMIN_PASSWORD of your own to serve other names";
