/** Caps on WebSocket use, per process (see the README's security section for the settings). */
export interface WebSocketLimits {
  /** Open sockets in this process. */
  maxConnections: number;
  /** Open sockets from one client address. */
  maxConnectionsPerClient: number;
  /** Operations (queries, mutations, subscriptions) running at once on one socket. */
  maxOperationsPerConnection: number;
  /** Live subscriptions of one signed-in customer, across all their sockets. */
  maxSubscriptionsPerUser: number;
}

/**
 * Counts open sockets in total and per client address; `open` hands out a slot or refuses.
 * Idle sockets hold their slot, so an address cannot pile up idle connections past its cap.
 */
export function createConnectionLimiter(limits: Pick<WebSocketLimits, "maxConnections" | "maxConnectionsPerClient">) {
  const byAddress = new Map<string, number>();
  let total = 0;
  return {
    open(address: string): { release: () => void } | undefined {
      const mine = byAddress.get(address) ?? 0;
      if (total >= limits.maxConnections || mine >= limits.maxConnectionsPerClient) return undefined;
      total += 1;
      byAddress.set(address, mine + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total -= 1;
          const left = (byAddress.get(address) ?? 1) - 1;
          if (left > 0) byAddress.set(address, left);
          else byAddress.delete(address);
        },
      };
    },
  };
}
