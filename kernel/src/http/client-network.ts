/** The key of a client address that could not be read: every such address shares it. */
export const UNKNOWN_CLIENT = "unknown";

/**
 * The unit one client is counted by, for connection caps, rate limits and throttles: an IPv4
 * address as itself, an IPv6 address by its /64 network, because one subscriber line or host
 * is handed a whole /64 and could otherwise take a budget per address.
 *
 * Read from the socket or from an X-Forwarded-For entry, so in the forms those take:
 * - a port and IPv6 brackets are dropped (`1.2.3.4:5678`, `[2001:db8::1]:443`): some load
 *   balancers append the client's source port, which would make each connection a client;
 * - an IPv6 address carrying an IPv4 one is that IPv4 address: IPv4-mapped (`::ffff:1.2.3.4`,
 *   `::ffff:0102:0304`, as a dual-stack socket reports IPv4 clients) and the NAT64 well-known
 *   prefix 64:ff9b::/96 (RFC 6052), behind which a whole IPv4 internet would otherwise be one
 *   /64, so one caller's refusal would refuse everyone behind a NAT64 front;
 * - the rest of ::/64 (the loopback ::1, the unspecified address) is handed to nobody as a
 *   network, so each such address counts alone rather than sharing a /64 with the above;
 * - anything else (a name, garbage, a proxy's `unknown`) is UNKNOWN_CLIENT: one key for all of
 *   them, so writing a new string cannot buy a new budget.
 * A key it returned reads as itself (`2001:db8:0:0::/64` stays so), since the gateway's key is
 * what subgraphs receive as the client address.
 */
export function clientNetwork(address: string | undefined): string {
  const parsed = address === undefined ? undefined : readAddress(address.trim());
  if (!parsed) return UNKNOWN_CLIENT;
  if (parsed.kind === "ipv4") return parsed.address;
  const groups = parsed.groups;
  const embedded = embeddedIPv4(groups);
  if (embedded) return embedded;
  if (groups.slice(0, 4).every((group) => group === 0)) return groups.map(hex).join(":");
  return `${groups.slice(0, 4).map(hex).join(":")}::/64`;
}

/**
 * The eight 16-bit groups of an address as a socket or X-Forwarded-For writes it (a port and
 * brackets dropped), an IPv4 address as its IPv4-mapped IPv6 form, or undefined for anything
 * else: one form to compare addresses of both families against a network.
 */
export function addressGroups(address: string | undefined): number[] | undefined {
  const parsed = address === undefined ? undefined : readAddress(address.trim());
  if (!parsed) return undefined;
  if (parsed.kind === "ipv6") return parsed.groups;
  const octets = parsed.address.split(".").map(Number);
  return [0, 0, 0, 0, 0, 0xffff, (octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
}

type IPv6Address = { kind: "ipv6"; groups: number[] };
type ReadAddress = { kind: "ipv4"; address: string } | IPv6Address;

const isPort = (digits: string | undefined): boolean => digits === undefined || (/^\d{1,5}$/.test(digits) && Number(digits) <= 65535);

function readAddress(text: string): ReadAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return isPort(bracketed[2]) ? ipv6(bracketed[1]!) : undefined;
  const withPort = /^([\d.]+):(\d+)$/.exec(text);
  if (withPort && !isPort(withPort[2])) return undefined;
  const ipv4 = dottedIPv4(withPort ? withPort[1]! : text);
  if (ipv4) return { kind: "ipv4", address: ipv4.join(".") };
  // One of our own /64 keys: the network's first address.
  const network = /^(.+)\/64$/.exec(text);
  if (network) {
    const read = ipv6(network[1]!);
    return read && read.groups.slice(4).every((group) => group === 0) ? read : undefined;
  }
  return ipv6(text);
}

function ipv6(text: string): IPv6Address | undefined {
  const groups = expandIPv6(text.split("%")[0]!);
  return groups && { kind: "ipv6", groups };
}

/** The four octets of a dotted IPv4 address in decimal, without leading zeros (which some read as octal). */
function dottedIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** The IPv4 address an IPv4-mapped (::ffff:0:0/96) or NAT64 well-known-prefix (64:ff9b::/96) address carries. */
function embeddedIPv4(groups: number[]): string | undefined {
  const prefix = groups.slice(0, 6).map(hex).join(":");
  if (prefix !== "0:0:0:0:0:ffff" && prefix !== "64:ff9b:0:0:0:0") return undefined;
  return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
}

const hex = (group: number): string => group.toString(16);

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function expandIPv6(address: string): number[] | undefined {
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) stands for two groups.
  const last = tail.length > 0 ? tail : head;
  if (last.length > 0 && last[last.length - 1]!.includes(".")) {
    const octets = dottedIPv4(last[last.length - 1]!);
    if (!octets) return undefined;
    last.splice(last.length - 1, 1, ((octets[0]! << 8) | octets[1]!).toString(16), ((octets[2]! << 8) | octets[3]!).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => "0"), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

/**
 * How many /64 networks an IPv6 /48 counts as, together, in every per-network budget. A /48 is
 * one site: what a tunnel broker hands anyone for free, a hosting provider a server, an ISP a
 * business line. Counted by its /64s alone it held 65,536 networks' budgets: 300 password
 * guesses from 300 /64s of one /48 all went through where one /64 was refused after 50. A home
 * or an office uses a handful of /64s, so 16 leaves their customers room; a mobile carrier's
 * pool may put many subscribers in one /48, and they share 16 networks' budgets, the price of
 * the ceiling.
 */
export const NETWORKS_PER_SITE = 16;

/**
 * The IPv6 /48 site of a network as clientNetwork gives it (`2001:db8:1:2::/64` gives
 * `2001:db8:1::/48`), or undefined for a network without one (an IPv4 address, a single IPv6
 * address of ::/64, `unknown`). The one place the /48 rule is written: every per-network budget
 * and cap draws on the site too, at NETWORKS_PER_SITE times its own (see `siteCapacity`).
 * Read without a pattern: it is asked on every connection.
 */
export function siteOf(network: string): string | undefined {
  if (!network.endsWith("::/64")) return undefined;
  const groups = network.slice(0, -"::/64".length).split(":");
  return groups.length === 4 ? `${groups[0]}:${groups[1]}:${groups[2]}::/48` : undefined;
}

/** What a /48 site holds of a budget or cap of `perNetwork` per network. */
export const siteCapacity = (perNetwork: number): number => perNetwork * NETWORKS_PER_SITE;

/**
 * The key of the IPv6 /48 site a key holding a /64 network belongs to (`ip:2001:db8:1:2::/64`
 * gives `ip:2001:db8:1::/48`, whatever comes before or after the network), or undefined for a
 * key without one (an IPv4 address, a single IPv6 address of ::/64, a user). For keys made
 * elsewhere (a subgraph's throttle, a budget keyed by more than a network); a gateway caller
 * carries its site already (see Caller).
 */
export function networkSite(key: string): string | undefined {
  // The network starts the key, or follows a prefix ending in a letter's colon (`ip:`) or a separator.
  const network = /(?<=^|[g-z]:|[^0-9a-f:])([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):[0-9a-f]{1,4}::\/64/.exec(key);
  if (!network) return undefined;
  const site = siteOf(network[0])!;
  return key.slice(0, network.index) + site + key.slice(network.index + network[0].length);
}
