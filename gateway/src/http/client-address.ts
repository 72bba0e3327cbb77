import type { IncomingMessage } from "node:http";
import { clientNetwork } from "#kernel/http/connection-limiter.ts";

/**
 * The caller's address for rate limiting and the subgraphs' throttles: an IPv4 address, or an
 * IPv6 caller's /64 (one line or host is handed a whole /64, so counting single addresses would
 * give it 2^64 budgets). X-Forwarded-For is trusted only when the gateway is configured to sit
 * behind a proxy; otherwise anyone could pick their own bucket.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    if (first) return clientNetwork(first);
  }
  return clientNetwork(req.socket.remoteAddress);
}
