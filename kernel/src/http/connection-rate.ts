import { siteCapacity, siteOf } from "./client-network.js";

/**
 * Clients (and, apart, sites) tracked at most: about 100 bytes each, so 10 MB a map; a minute's
 * new connections from 100,000 networks is more than any front of this gateway sees.
 */
const MAX_TRACKED = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * New connections per client network per minute, as a token bucket: a minute's worth at once,
 * then the rate. The caps on open connections do not limit churn: a socket opened and closed
 * (or a WebSocket that never sends `connection_init`) frees its place at once, and each costs
 * the server its accept, TLS-less handshake and parse. A /64 also draws on its /48 site, which
 * holds NETWORKS_PER_SITE networks' budgets, as every per-network budget does.
 *
 * Clients tracked are capped (`maxTracked` per map): without a cap, new sources (IPv6 /64s
 * of many sites, each a key) grew the maps until the minute's sweep, as fast as they could
 * connect. Past the cap the client that connected least recently is forgotten: a client
 * being refused is touched by every attempt, so it stays; one forgotten has been quiet while
 * `maxTracked` others connected, and its bucket has refilled for that long. Getting a
 * client forgotten on purpose takes `maxTracked` connections from other networks, each
 * spending a budget of its own, to buy back at most one minute's worth.
 * `now` is injectable so tests need no clock.
 */
export function createConnectionRate(limits: { perMinute: number; maxTracked?: number }, now: () => number = () => Date.now()) {
  const maxTracked = limits.maxTracked ?? MAX_TRACKED;
  const byClient = new Map<string, Bucket>();
  const bySite = new Map<string, Bucket>();
  let sweptAt = now();

  const refilled = (buckets: Map<string, Bucket>, key: string, capacity: number, at: number): Bucket => {
    const bucket = buckets.get(key);
    if (!bucket) return { tokens: capacity, at };
    return { tokens: Math.min(capacity, bucket.tokens + (at - bucket.at) * (capacity / 60_000)), at };
  };
  // A bucket that has refilled is the same as none: dropped once a minute, so addresses seen
  // once do not accumulate.
  const sweep = (at: number) => {
    if (at - sweptAt < 60_000) return;
    sweptAt = at;
    for (const [buckets, capacity] of [[byClient, limits.perMinute], [bySite, siteCapacity(limits.perMinute)]] as const) {
      for (const [key, bucket] of buckets) if (bucket.tokens + (at - bucket.at) * (capacity / 60_000) >= capacity) buckets.delete(key);
    }
  };

  /** Keeps `bucket` as the most recent of `buckets`, forgetting the least recent past the cap. */
  const keep = (buckets: Map<string, Bucket>, key: string, bucket: Bucket) => {
    buckets.delete(key);
    if (buckets.size >= maxTracked) buckets.delete(buckets.keys().next().value as string);
    buckets.set(key, bucket);
  };

  return {
    /** Takes one new connection from the client's budget; false when it has none left. */
    admit(client: string): boolean {
      const at = now();
      sweep(at);
      const mine = refilled(byClient, client, limits.perMinute, at);
      const site = siteOf(client);
      const ours = site === undefined ? undefined : refilled(bySite, site, siteCapacity(limits.perMinute), at);
      if (mine.tokens < 1 || (ours !== undefined && ours.tokens < 1)) {
        keep(byClient, client, mine);
        if (site !== undefined && ours) keep(bySite, site, ours);
        return false;
      }
      keep(byClient, client, { tokens: mine.tokens - 1, at });
      if (site !== undefined && ours) keep(bySite, site, { tokens: ours.tokens - 1, at });
      return true;
    },
    /**
     * Takes `points` more from the client's (and its site's) budget, into debt as far as one
     * bucket's worth: what a connection cost the server beyond being opened.
     */
    spend(client: string, points: number): void {
      const at = now();
      const mine = refilled(byClient, client, limits.perMinute, at);
      keep(byClient, client, { tokens: Math.max(-limits.perMinute, mine.tokens - points), at });
      const site = siteOf(client);
      if (site === undefined) return;
      const ours = refilled(bySite, site, siteCapacity(limits.perMinute), at);
      keep(bySite, site, { tokens: Math.max(-siteCapacity(limits.perMinute), ours.tokens - points), at });
    },
    /** Clients (and sites) tracked: for tests of the sweep. */
    tracked(): number {
      return byClient.size + bySite.size;
    },
  };
}
