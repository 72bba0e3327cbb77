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
