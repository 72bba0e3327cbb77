import { BlockList, isIP } from "node:net";

/**
 * Which X-Forwarded-For entries to believe (TRUST_PROXY):
 * - a number: that many proxies stand in front, and every connection comes through them (0: none);
 * - a list of the proxies' addresses and networks: only a connection from one of them carries a
 *   header to read, and only entries those proxies appended. A client that reaches the server
 *   directly, past the proxies, writes what it likes in the header; with a count, that text was
 *   taken as its address, and each new value bought a new budget.
 */
export type ProxyTrust = number | TrustedProxies;

export interface TrustedProxies {
  /** The networks as configured, for logs and refusals. */
  readonly networks: readonly string[];
  /** Whether an address (a socket's or a header entry's, a port allowed) is one of the proxies. */
  includes(address: string | undefined): boolean;
}

/**
 * Reads `10.0.0.0/8, 192.168.1.7, 2001:db8::/32`: addresses and CIDR networks of both families.
 * Returns the entries it could not read as `problems`; an IPv4 network matches an IPv4 client
 * whether the socket reports it plainly or IPv4-mapped (`::ffff:10.1.2.3`).
 */
export function parseTrustedProxies(text: string): { proxies: TrustedProxies; problems: string[] } {
  const list = new BlockList();
  const named: string[] = [];
  const problems: string[] = [];
  for (const entry of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    const width = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > width))) {
      problems.push(entry);
      continue;
    }
    // BlockList matches an IPv4 network against IPv4-mapped IPv6 addresses (::ffff:10.1.2.3) too.
    list.addSubnet(address, prefix === undefined ? width : Number(prefix), family === 6 ? "ipv6" : "ipv4");
    named.push(entry);
  }
  return {
    problems,
    proxies: {
      networks: named,
      includes(address) {
        const bare = withoutPort((address ?? "").trim());
        const family = isIP(bare);
        return family !== 0 && list.check(bare, family === 6 ? "ipv6" : "ipv4");
      },
    },
  };
}

/** `10.0.0.1:5555` and `[2001:db8::2]:443`, as sockets and headers write them, without the port. */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  return /^[\d.]+:\d+$/.test(address) ? address.slice(0, address.lastIndexOf(":")) : address;
}

/** Whether a connection's X-Forwarded-* headers were written by a proxy of the operator. */
export function fromTrustedProxy(remoteAddress: string | undefined, trust: ProxyTrust | undefined): boolean {
  if (trust === undefined) return false;
  return typeof trust === "number" ? trust > 0 : trust.includes(remoteAddress);
}
