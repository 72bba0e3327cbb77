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

/** A leased decision: when allowed, the end of the window its points were taken in. */
export interface LeasedDecision extends LimitDecision {
  windowEndsAt?: number;
}

/** Leases are sized to about 1% of the budget: small budgets stay exact (one point a lease). */
export const leaseSizeFor = (pointsPerMinute: number, max = 50): number => Math.max(1, Math.min(max, Math.floor(pointsPerMinute / 100)));

/** Most callers one process keeps leases for; the oldest go first (their points are simply unused). */
const MAX_LEASES = 50_000;

/**
 * A per-caller limit shared through Redis that does not ask Redis on every request: the
 * process takes points from the shared budget a lease at a time and spends them locally, a
 * request its cost (the cost budget's requests weigh tens to thousands of points).
 *
 * Guarantees: a caller never gets more than its budget across all processes (every point
 * spent was taken from the shared count first, and points given back go to the lease they
 * were spent from, in the same window). The price is the other direction: points leased but
 * not spent before the window ends are lost, so a caller may be refused up to a lease's
 * worth early per gateway process. A request the lease cannot cover asks the store for a new
 * lease; if the store cannot give a whole one, for exactly what the request lacks, so a
 * budget's last points are still spent. With budgets of 100 a minute or less the lease is
 * one point and the limit is exactly the shared one.
 *
 * Measured in BENCHMARKS.md: the Redis round trip on every request cost about a fifth of the
 * gateway's uncached throughput on 2 cores (client work plus Redis's own CPU); the cost
 * budget's charge and refund, two round trips a request, 14% of the gateway's CPU.
 */
export function withLocalLeases(take: TakeFromSharedBudget, leaseSize: number, clock: () => number = Date.now) {
  const leases = new Map<string, Lease>();
  // One lease request in flight per caller: concurrent requests wait for it rather than each
  // taking a lease of their own (which would only waste points).
  const taking = new Map<string, Promise<unknown>>();
  const decide = async (callerKey: string, cost = 1): Promise<LeasedDecision> => {
    if (leaseSize <= 1) {
      const started = clock();
      const decision = await take(callerKey, cost);
      return decision.allowed ? { allowed: true, retryAfterSeconds: 0, windowEndsAt: started + decision.msBeforeReset } : { allowed: false, retryAfterSeconds: decision.retryAfterSeconds };
    }
    for (;;) {
      const lease = leases.get(callerKey);
      if (lease && lease.remaining >= cost && lease.expiresAt > clock()) {
        lease.remaining -= cost;
        return { allowed: true, retryAfterSeconds: 0, windowEndsAt: lease.expiresAt };
      }
      const inFlight = taking.get(callerKey);
      if (!inFlight) break;
      await inFlight.catch(() => undefined);
      if (!leases.has(callerKey)) break; // that lease was refused: ask for ourselves
    }
    const pending = takeLease(callerKey, cost);
    taking.set(callerKey, pending);
    try {
      return await pending;
    } finally {
      if (taking.get(callerKey) === pending) taking.delete(callerKey);
    }
  };

  const takeLease = async (callerKey: string, cost: number): Promise<LeasedDecision> => {
    // What is left of a lease in its window still counts: the request takes only what it lacks.
    const held = leases.get(callerKey);
    const open = held && held.expiresAt > clock() ? held : undefined;
    const left = open ? open.remaining : 0;
    const lacking = cost - left;
    // An open lease stays held, emptied, while the store is asked: refunds of the requests it
    // paid for land in it meanwhile (deleted, each of them went to the store: 2% of a product
    // read's refunds at 16 concurrent requests, a Redis round trip each).
    if (open) open.remaining = 0;
    else leases.delete(callerKey);
    const started = clock();
    let wanted = Math.max(leaseSize, lacking);
    let decision = await take(callerKey, wanted);
    if (!decision.allowed && wanted > lacking) {
      // Not a whole lease left: the request may still fit in what is.
      wanted = lacking;
      decision = await take(callerKey, wanted);
    }
    const expiresAt = started + decision.msBeforeReset;
    // What the open lease holds now: given back during the round trip (less what other requests spent of it).
    const returned = open && leases.get(callerKey) === open ? open.remaining : 0;
    const kept = left + returned;
    if (!decision.allowed) {
      // The points left stay this process's to spend in their window.
      if (kept > 0) keep(callerKey, { remaining: kept, expiresAt: open!.expiresAt });
      else if (open && leases.get(callerKey) === open) leases.delete(callerKey);
      return { allowed: false, retryAfterSeconds: decision.retryAfterSeconds };
    }
    // A fresh window when the old lease had ended; the same one otherwise, ending no later.
    const lease = { remaining: kept + wanted - cost, expiresAt: kept > 0 ? Math.min(open!.expiresAt, expiresAt) : expiresAt };
    keep(callerKey, lease);
    return { allowed: true, retryAfterSeconds: 0, windowEndsAt: lease.expiresAt };
  };

  const keep = (callerKey: string, lease: Lease) => {
    if (leases.size >= MAX_LEASES && !leases.has(callerKey)) leases.delete(leases.keys().next().value as string);
    leases.set(callerKey, lease);
  };

  /**
   * Gives `points` back to the lease they were spent from (the window ending at `windowEndsAt`)
   * while this process still holds it: answers false when it does not, and the points are the
   * shared count's to get back.
   *
   * Both ends are estimates no later than the true end of their window, so a charge whose
   * window is still open and a lease still held are in the same (current) window, whatever
   * their estimates: `windowEndsAt` may end before the lease does (the earlier end of two
   * budgets charged together, as a /64 and its /48 site; a lease renewed in its window). Asking
   * the two estimates to be equal sent every refund of an IPv6 guest's read to Redis.
   */
  const giveBack = (callerKey: string, points: number, windowEndsAt: number): boolean => {
    const lease = leases.get(callerKey);
    const now = clock();
    if (!lease || windowEndsAt <= now || lease.expiresAt <= now || lease.expiresAt < windowEndsAt) return false;
    lease.remaining += points;
    return true;
  };

  /**
   * Takes `points` for work already done (an answer's errors) from the caller's open lease when
   * it holds them all: they were taken from the shared count when leased, so the caller's total
   * is the same as taking them from the count now, without the round trip. Answers false (and
   * takes nothing) when no open lease holds them; the shared count is then the caller's to ask.
   */
  const spendFromLease = (callerKey: string, points: number): boolean => {
    const lease = leases.get(callerKey);
    if (!lease || lease.expiresAt <= clock() || lease.remaining < points) return false;
    lease.remaining -= points;
    return true;
  };

  return Object.assign(decide, { giveBack, spendFromLease });
}
