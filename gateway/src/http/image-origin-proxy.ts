import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { budgetRefusalHeaders, countRateLimitRefusal, INTERNAL_HEADER, rateLimitedMessage, type Logger } from "#kernel";
import { ReplicaSet, sendToAReplica } from "#kernel/http/replica-set.ts";
import type { RateLimitDecision } from "../rate-limit/caller-rate-limiter.js";

/** Response headers of the products origin a browser or CDN needs; nothing else crosses. */
const PASSED_BACK = ["content-type", "content-length", "etag", "cache-control", "x-content-type-options"];

/**
 * `GET|HEAD /images/<path>` forwarded to the products subgraph's image origin, so pages served
 * by the gateway (the storefront, the explorer) show product images from their own origin,
 * within their `img-src 'self'` policy, and one host is all a CDN needs to front. Only the
 * conditional header travels upstream; the answer streams back with its caching headers.
 * With replicas of products, any healthy one serves (an image read is safe to resend).
 *
 * Each request the origin is asked costs the gateway a subgraph call (0.85 ms of its CPU, ten
 * times a static page) and the origin a read of object storage, and no GraphQL budget counts
 * it: one client at 1,000 requests a second held 80% of a gateway core. So each is charged to
 * `budget` first (one point per request, per client network) and refused 429 past it.
 */
/**
 * The budget an image request draws on: its client network's, or, when a browser says a page of
 * another site asked (`Sec-Fetch-Site: cross-site`), that network's bucket for other sites'
 * pages. Any page can make its visitors' browsers load `<img src=".../images/x?n">` in a loop;
 * charged to the network, that spent its budget in seconds and the storefront's own images were
 * refused to everyone behind the address for as long as the page stayed open. Browsers set the
 * header themselves; a client that omits or forges it spends only its own network's budget.
 */
export function imageBudgetKey(req: IncomingMessage, network: string): string {
  return req.headers["sec-fetch-site"] === "cross-site" ? `${network}|cross-site` : network;
}

export function createImageOriginProxy(options: {
  productsOrigin: string | ReplicaSet;
  logger: Logger;
  /** Charges a point to the request's client; absent, nothing is counted (tests). */
  budget?: (req: IncomingMessage) => Promise<RateLimitDecision>;
  /**
   * The platform's credential (`renewedPlatformCredential`), sent with each fetch so products
   * counts the gateway's sockets as its own caller's, never as a stranger's it may close to make
   * room (stranger-sockets.ts): a page of images for many shoppers holds dozens at once.
   */
  credential?: () => string;
}) {
  const products = typeof options.productsOrigin === "string" ? new ReplicaSet({ name: "products", urls: [options.productsOrigin.replace(/\/+$/, "")] }) : options.productsOrigin;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const raw = (req.url ?? "/").split("?")[0]!;
    if (!raw.startsWith("/images/")) return false;
    // Dot segments ("..", "%2e%2e") resolved as the origin's URL parser would: what is sent
    // upstream is this resolved path, and it must still be an image's.
    const path = new URL(raw, "http://gateway.invalid").pathname;
    if (!path.startsWith("/images/")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found");
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("Images are read with GET or HEAD");
      return true;
    }
    const allowed = await options.budget?.(req);
    if (allowed && !allowed.allowed) {
      countRateLimitRefusal("images");
      res
        .writeHead(429, { "content-type": "text/plain; charset=utf-8", ...budgetRefusalHeaders(allowed.retryAfterSeconds), "cache-control": "no-store" })
        .end(rateLimitedMessage("image requests", allowed.retryAfterSeconds));
      return true;
    }
    const conditional = req.headers["if-none-match"];
    let response: Response;
    try {
      response = await sendToAReplica(products, true, (replica) =>
        fetch(`${replica.origin}${path}`, {
          method: req.method,
          headers: {
            ...(typeof conditional === "string" ? { "if-none-match": conditional } : {}),
            ...(options.credential ? { [INTERNAL_HEADER]: options.credential() } : {}),
          },
          redirect: "manual",
          signal: AbortSignal.timeout(30_000),
        }),
      );
    } catch (error) {
      options.logger.warn("image origin unreachable", { path, error: String(error) });
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end("Image origin unavailable");
      return true;
    }
    const headers: Record<string, string> = {};
    for (const name of PASSED_BACK) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    res.writeHead(response.status, headers);
    if (!response.body || req.method === "HEAD") {
      await response.body?.cancel();
      res.end();
      return true;
    }
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
    body.on("error", () => res.destroy());
    body.pipe(res);
    return true;
  };
}
