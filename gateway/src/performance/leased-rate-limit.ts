/** One decision of a per-caller limiter: may this request go on, and if not, when to retry. */
export interface LimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** Takes `points` from the caller's shared budget in one round trip; says how long its window has left. */
export type TakeFromSharedBudget = (callerKey: string, points: number) => Promise<LimitDecision & { msBeforeReset: number }>;

interface Lease {
  remaining: number;
  expiresAt: number;
}

/** Leases are sized to about 1% of the budget: small budgets stay exact (one point a lease). */
export const leaseSizeFor = (pointsPerMinute: number, max = 50): number => Math.max(1, Math.min(max, Math.floor(pointsPerMinute / 100)));

/** Most callers one process keeps leases for; the oldest go first (their points are simply unused). */
const MAX_LEASES = 50_000;

/**
 * A per-caller limit shared through Redis that does not ask Redis on every request: the
 * process takes points from the shared budget a lease at a time and spends them locally.
 *
 * Guarantees: a caller never gets more than its budget across all processes (every point
 * spent was taken from the shared count first). The price is the other direction: points
 * leased but not spent before the window ends are lost, so a caller may be refused up to
 * `leaseSize - 1` requests early per gateway process. With budgets of 100 a minute or less
 * the lease is one point and the limit is exactly the shared one.
 *
 * Measured in BENCHMARKS.md: the Redis round trip on every request cost about a fifth of the
 * gateway's uncached throughput on 2 cores (client work plus Redis's own CPU).
 */
export function withLocalLeases(take: TakeFromSharedBudget, leaseSize: number, clock: () => number = Date.now) {
  const leases = new Map<string, Lease>();
  // One lease request in flight per caller: concurrent requests wait for it rather than each
  // taking a lease of their own (which would only waste points).
  const taking = new Map<string, Promise<unknown>>();
  return async (callerKey: string, cost = 1): Promise<LimitDecision> => {
    if (leaseSize <= 1 || cost !== 1) return take(callerKey, cost);
    for (;;) {
      const lease = leases.get(callerKey);
      if (lease && lease.remaining > 0 && lease.expiresAt > clock()) {
        lease.remaining -= 1;
        return { allowed: true, retryAfterSeconds: 0 };
      }
      const inFlight = taking.get(callerKey);
      if (!inFlight) break;
      await inFlight.catch(() => undefined);
      if (!leases.has(callerKey)) break; // that lease was refused: ask for ourselves
    }
    leases.delete(callerKey);
    const started = clock();
    const pending = take(callerKey, leaseSize);
    taking.set(callerKey, pending);
    try {
      const decision = await pending;
      if (!decision.allowed) return { allowed: false, retryAfterSeconds: decision.retryAfterSeconds };
      if (leases.size >= MAX_LEASES) leases.delete(leases.keys().next().value as string);
      // This request spends one point of the lease it just took.
      leases.set(callerKey, { remaining: leaseSize - 1, expiresAt: started + decision.msBeforeReset });
      return { allowed: true, retryAfterSeconds: 0 };
    } finally {
      if (taking.get(callerKey) === pending) taking.delete(callerKey);
    }
  };
}
