import type { IncomingMessage } from "node:http";
import { clientNetwork, UNKNOWN_CLIENT } from "#kernel/http/client-network.ts";

/**
 * The caller's address for rate limiting and the subgraphs' throttles: an IPv4 address, or an
 * IPv6 caller's /64 (one line or host is handed a whole /64, so counting single addresses would
 * give it 2^64 budgets). X-Forwarded-For is trusted only when the gateway is configured to sit
 * behind `proxies` proxies of its operator; otherwise anyone could pick their own bucket.
 *
 * Proxies append the address they received from to the header, after whatever the client
 * sent in it: the entry to trust is the one the outermost trusted proxy appended, counted from
 * the right. The leftmost entry is the client's own writing (a new one per request bought a new
 * budget each time). A request with fewer entries than proxies did not come through them all:
 * its socket's address is used. So is an entry that is not an address (a proxy's `unknown` or
 * obfuscated name, or a client's text where TRUST_PROXY counts one proxy too many): it names
 * no client, and each distinct string must not become a budget of its own; the socket's
 * address, the nearest proxy, is one known key per proxy, as for a request it cannot place.
 */
export function clientAddress(req: IncomingMessage, proxies: number): string {
  if (proxies > 0) {
    const forwarded = req.headers["x-forwarded-for"];
    const entries = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? ""))
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    const appended = entries[entries.length - proxies];
    const network = appended === undefined ? UNKNOWN_CLIENT : clientNetwork(appended);
    if (network !== UNKNOWN_CLIENT) return network;
  }
  return clientNetwork(req.socket.remoteAddress);
}
