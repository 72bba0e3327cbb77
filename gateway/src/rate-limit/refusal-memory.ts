/** What one refusal told about a key: at most `left` points remain until `until` (ms since the epoch). */
interface Known {
  left: number;
  until: number;
}

/** Most keys remembered; the oldest go first (forgetting one only costs its next refusal a round trip). */
const MAX_REMEMBERED = 50_000;

/**
 * What the shared store said when it refused a key, kept until its window turns: a request
 * asking for more than was left then is refused here without asking again. A caller over its
 * budget kept sending, and each refusal cost the store round trips (a consume and its reward;
 * under leases, twice over: a lease refused, then the points lacking refused).
 *
 * It can only refuse early, never admit: what another process gives back meanwhile is not seen
 * here (refunds are what a request did not cost, so a caller whose refused request is followed
 * by another process's refund is refused until the window turns, as with an unspent lease); what
 * this process gives back to the store is added to what is known to be left.
 */
export function createRefusalMemory(clock: () => number = Date.now) {
  const known = new Map<string, Known>();
  const current = (key: string): Known | undefined => {
    const entry = known.get(key);
    if (entry && entry.until <= clock()) {
      known.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    /** Milliseconds until the window turns when `points` are known not to be left for `key`, else undefined. */
    refusedFor(key: string, points: number): number | undefined {
      const entry = current(key);
      return entry && points > entry.left ? entry.until - clock() : undefined;
    },
    /** The store refused `key`: `left` points remain for `msBeforeReset`. */
    remember(key: string, left: number, msBeforeReset: number): void {
      known.delete(key);
      if (known.size >= MAX_REMEMBERED) known.delete(known.keys().next().value as string);
      known.set(key, { left: Math.max(0, left), until: clock() + msBeforeReset });
    },
    /** The store granted `points` to `key` (they are no longer left), or was given `points` back (negative). */
    taken(key: string, points: number): void {
      const entry = current(key);
      if (entry) entry.left = Math.max(0, entry.left - points);
    },
    /** Keys remembered now (tests). */
    size: () => known.size,
  };
}
