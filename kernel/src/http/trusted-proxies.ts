import { addressGroups } from "./client-network.js";

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

interface Network {
  groups: number[];
  prefixBits: number;
}

/**
 * Reads `10.0.0.0/8, 192.168.1.7, 2001:db8::/32`: addresses and CIDR networks of both families.
 * Returns the entries it could not read as `problems`; an IPv4 network matches an IPv4 client
 * whether the socket reports it plainly or IPv4-mapped (`::ffff:10.1.2.3`).
 */
export function parseTrustedProxies(text: string): { proxies: TrustedProxies; problems: string[] } {
  const networks: Network[] = [];
  const named: string[] = [];
  const problems: string[] = [];
  for (const entry of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const network = readNetwork(entry);
    if (network) {
      networks.push(network);
      named.push(entry);
    } else problems.push(entry);
  }
  return {
    problems,
    proxies: {
      networks: named,
      includes(address) {
        const groups = addressGroups(address);
        return groups !== undefined && networks.some((network) => within(groups, network));
      },
    },
  };
}

/** Whether a connection's X-Forwarded-* headers were written by a proxy of the operator. */
export function fromTrustedProxy(remoteAddress: string | undefined, trust: ProxyTrust | undefined): boolean {
  if (trust === undefined) return false;
  return typeof trust === "number" ? trust > 0 : trust.includes(remoteAddress);
}

function readNetwork(entry: string): Network | undefined {
  const [address, prefix, ...rest] = entry.split("/");
  if (rest.length > 0 || address === undefined || address.includes("[") || /:\d+$/.test(address) && address.includes(".")) return undefined;
  const groups = addressGroups(address);
  if (!groups) return undefined;
  const ipv4 = !address.includes(":");
  const width = ipv4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return undefined;
  const bits = prefix === undefined ? width : Number(prefix);
  if (bits > width) return undefined;
  return { groups, prefixBits: ipv4 ? 96 + bits : bits };
}

function within(groups: number[], network: Network): boolean {
  for (let bit = 0; bit < network.prefixBits; bit += 16) {
    const bitsHere = Math.min(16, network.prefixBits - bit);
    const mask = (0xffff << (16 - bitsHere)) & 0xffff;
    const index = bit / 16;
    if ((groups[index]! & mask) !== (network.groups[index]! & mask)) return false;
  }
  return true;
}
