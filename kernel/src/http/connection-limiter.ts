import { siteCapacity, siteOf } from "./client-network.js";

/**
 * Counts open connections in total and per client; `open` hands out a slot or refuses.
 * Idle connections hold their slot, so a client cannot pile up idle sockets past its cap.
 * A client that is an IPv6 /64 also counts toward its /48 site, which holds at most
 * NETWORKS_PER_SITE clients' caps: a /48's 65,536 networks could otherwise fill the server.
 */
export function createConnectionLimiter(limits: { maxConnections: number; maxConnectionsPerClient: number }) {
  const byClient = new Map<string, number>();
  const bySite = new Map<string, number>();
  const maxPerSite = siteCapacity(limits.maxConnectionsPerClient);
  let total = 0;
  const release = (counts: Map<string, number>, key: string) => {
    const left = (counts.get(key) ?? 1) - 1;
    if (left > 0) counts.set(key, left);
    else counts.delete(key);
  };
  return {
    open(client: string): { release: () => void } | undefined {
      const mine = byClient.get(client) ?? 0;
      if (total >= limits.maxConnections || mine >= limits.maxConnectionsPerClient) return undefined;
      const site = siteOf(client);
      if (site !== undefined && (bySite.get(site) ?? 0) >= maxPerSite) return undefined;
      total += 1;
      byClient.set(client, mine + 1);
      if (site !== undefined) bySite.set(site, (bySite.get(site) ?? 0) + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total -= 1;
          release(byClient, client);
          if (site !== undefined) release(bySite, site);
        },
      };
    },
    /** Open slots of one client (0 when it holds none). */
    heldBy(client: string): number {
      return byClient.get(client) ?? 0;
    },
  };
}
