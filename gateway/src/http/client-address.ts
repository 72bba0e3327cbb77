import type { IncomingMessage } from "node:http";

/**
 * The caller's address for rate limiting. X-Forwarded-For is trusted only when the gateway
 * is configured to sit behind a proxy; otherwise anyone could pick their own bucket.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? "unknown";
}
