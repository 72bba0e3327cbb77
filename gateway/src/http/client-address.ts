import type { IncomingMessage } from "node:http";
import { clientNetwork, UNKNOWN_CLIENT } from "#kernel/http/client-network.ts";
import type { ProxyTrust, TrustedProxies } from "#kernel/http/trusted-proxies.ts";

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
 *
 * Given the proxies' addresses instead of a count, see namedProxyClient.
 */
export function clientAddress(req: IncomingMessage, proxies: ProxyTrust): string {
  if (typeof proxies !== "number") return namedProxyClient(req, proxies);
  if (proxies > 0) {
    const entries = forwardedFor(req);
    const appended = entries[entries.length - proxies];
    const network = appended === undefined ? UNKNOWN_CLIENT : clientNetwork(appended);
    if (network !== UNKNOWN_CLIENT) return network;
  }
  return clientNetwork(req.socket.remoteAddress);
}

/**
 * Behind named proxies: a socket from anyone else is the client, whatever it wrote in
 * X-Forwarded-For (with a count, a client reaching the gateway past its proxies picked its own
 * address, and a new budget with each). From a proxy, the entries are read from the right,
 * skipping those naming proxies, and the first that does not is the client: the closest hop no
 * proxy of ours vouches for. An entry that is not an address ends the walk at the proxy that
 * appended it, as with a count; a header of proxies alone leaves the leftmost of them.
 */
function namedProxyClient(req: IncomingMessage, proxies: TrustedProxies): string {
  let nearest = req.socket.remoteAddress;
  if (!proxies.includes(nearest)) return clientNetwork(nearest);
  const entries = forwardedFor(req);
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const entry = entries[index]!;
    if (clientNetwork(entry) === UNKNOWN_CLIENT) break;
    nearest = entry;
    if (!proxies.includes(entry)) break;
  }
  return clientNetwork(nearest);
}

function forwardedFor(req: IncomingMessage): string[] {
  const forwarded = req.headers["x-forwarded-for"];
  return (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
