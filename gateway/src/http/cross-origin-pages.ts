import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, hostHeaderNamesLoopback, sendGraphQLError } from "#kernel";
import { varyBy } from "#kernel/http/vary.ts";
import { pageOrigin } from "#kernel/http/http-origin.ts";

/**
 * Which web pages of other origins may call the GraphQL API (CORS, over HTTP) and open its
 * WebSockets: the origins `CORS_ALLOWED_ORIGINS` names and, in development, every page served
 * from this machine (`http://localhost:5173`, a web app's dev server on any port), where the
 * API's answers carried no CORS header at all, its preflight was `405`, and a storefront built
 * on another port could read nothing but a network error. A page of any other origin stays as
 * before: its requests reach the API (browsers send them), their answers are not its to read.
 *
 * Tokens travel in the `Authorization` and `X-Cart-Token` headers, never in cookies, so
 * allowing credentials lets a client's `credentials: "include"` (Apollo Client's often copied
 * setting) through and gives the page nothing it could not send anyway.
 */
export interface CrossOriginPages {
  /** Whether a page of this origin (the browser's `Origin` header, as sent) may call the API. */
  allows(origin: string): boolean;
  /**
   * Adds to an answer of the GraphQL URL the headers that let its page read it, before anything
   * is written, so a refusal (an expired token, a budget spent) is readable as well: a browser
   * shows a page an answer without them as a network error, its `extensions.code` hidden.
   */
  expose(req: IncomingMessage, res: ServerResponse): void;
  /** Answers a CORS preflight (true), or leaves the request to the GraphQL handler (false). */
  answerPreflight(req: IncomingMessage, res: ServerResponse): boolean;
}

/** What a page's script may read of an answer besides the basic headers: when to retry, which request it was, whether it came from the cache. */
const EXPOSED_HEADERS = "retry-after, x-request-id, x-response-cache";
/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 h, Firefox at 24 h). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** The longest Origin a refusal quotes (a scheme, a 63-letter label or a few, a port). */
const MAX_QUOTED_ORIGIN = 200;

export function createCrossOriginPages(options: { allowedOrigins: readonly string[]; loopbackPages: boolean }): CrossOriginPages {
  const named = new Set(options.allowedOrigins);
  function allows(origin: string): boolean {
    const url = pageOrigin(origin);
    if (!url) return false;
    if (named.has(url.origin)) return true;
    return options.loopbackPages && hostHeaderNamesLoopback(url.host);
  }
  const allowedOriginOf = (req: IncomingMessage): string | undefined => {
    const origin = req.headers.origin;
    return origin !== undefined && allows(origin) ? origin : undefined;
  };
  return {
    allows,
    expose(req, res) {
      // Every answer depends on the Origin now: a shared cache keeps one per origin.
      varyBy(res, "Origin");
      const origin = allowedOriginOf(req);
      if (origin === undefined) return;
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    },
    answerPreflight(req, res) {
      if (req.method !== "OPTIONS" || req.headers.origin === undefined || req.headers["access-control-request-method"] === undefined) return false;
      req.resume();
      if (allowedOriginOf(req) === undefined) {
        // The browser shows the page a CORS failure; this says why to whoever opens the network tab.
        // The header is the client's text: quoted only when it is as short as an origin is.
        const origin = req.headers.origin.length <= MAX_QUOTED_ORIGIN ? req.headers.origin : "this origin";
        sendGraphQLError(res, 403, ErrorCode.FORBIDDEN, `Pages of ${origin} may not call this API from a browser: name the origin in CORS_ALLOWED_ORIGINS`);
        return true;
      }
      res.writeHead(204, {
        "access-control-allow-methods": "GET, POST",
        // The page's own headers (a client library's names, tracing) are its business once its
        // origin is allowed; the API reads only those it knows.
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type",
        "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
        // Chromium asks before a public site's page calls a loopback server (Private Network Access).
        ...(req.headers["access-control-request-private-network"] === "true" ? { "access-control-allow-private-network": "true" } : {}),
      });
      res.end();
      return true;
    },
  };
}
