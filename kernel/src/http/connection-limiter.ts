/**
 * Counts open connections in total and per client; `open` hands out a slot or refuses.
 * Idle connections hold their slot, so a client cannot pile up idle sockets past its cap.
 */
export function createConnectionLimiter(limits: { maxConnections: number; maxConnectionsPerClient: number }) {
  const byClient = new Map<string, number>();
  let total = 0;
  return {
    open(client: string): { release: () => void } | undefined {
      const mine = byClient.get(client) ?? 0;
      if (total >= limits.maxConnections || mine >= limits.maxConnectionsPerClient) return undefined;
      total += 1;
      byClient.set(client, mine + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total -= 1;
          const left = (byClient.get(client) ?? 1) - 1;
          if (left > 0) byClient.set(client, left);
          else byClient.delete(client);
        },
      };
    },
    /** Open slots of one client (0 when it holds none). */
    heldBy(client: string): number {
      return byClient.get(client) ?? 0;
    },
  };
}

/**
 * The unit one client is counted by: an IPv4 address (IPv4-mapped IPv6 included) as itself, an
 * IPv6 address by its /64 network, because one subscriber line or host is handed a whole /64
 * and could otherwise open each socket from an address of its own.
 */
export function clientNetwork(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const groups = expandIPv6(address.split("%")[0]!);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : address;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function expandIPv6(address: string): string[] | undefined {
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  // An embedded IPv4 tail (::1.2.3.4) stands for two groups.
  const last = tail.length > 0 ? tail : head;
  if (last.length > 0 && last[last.length - 1]!.includes(".")) last.splice(last.length - 1, 1, "0", "0");
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => "0"), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => group.replace(/^0+(?=.)/, ""));
}
