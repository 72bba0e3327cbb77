import type { RateLimitDecision, RefundableRateLimiter } from "../rate-limit/caller-rate-limiter.js";
import { networkBudget, ownBudget, type Caller } from "../rate-limit/caller.js";

/** The cost budget's limiters: per caller, and the ceiling per network over all its callers. */
export interface CostBudgetLimiters {
  perCaller: RefundableRateLimiter;
  perNetwork: RefundableRateLimiter;
  /** The per-caller budget: a request costing more can never pass. */
  perMinute: number;
}

/** Points a request took from the cost budgets, and until when what it did not use can be given back. */
export interface CostCharge {
  caller: Caller;
  /** Whether the network's ceiling was charged too (not for an anonymous caller: it is its network). */
  network: boolean;
  /** An anonymous caller's points come from its network's guest pool (see charge). */
  guest: boolean;
  /** The earliest end of the windows charged; unknown (no refund) when the store did not say. */
  refundableUntil?: number;
  /** The end of the window each budget was charged in (the caller's own or guest pool, the ceiling). */
  windows?: { own?: number; ceiling?: number };
}

export type CostDecision = { allowed: true; charge: CostCharge } | { allowed: false; retryAfterSeconds: number; tooCostly?: true };

/** The key of a network's guest pool: every anonymous caller of the network, apart from its signed-in ceiling. */
const guestPool = (caller: Caller) => networkBudget(caller, "guests:");

/**
 * The cost budget: charged an operation's measured (maximum) cost before it runs, so what is
 * admitted never exceeds the budget, and given back after it has run what it did not cost
 * (`refund`), so the budget counts the work done, not the work that might have been: a page of
 * products that do not exist spends what its nulls cost.
 */
export function createCostBudget(limiters: CostBudgetLimiters) {
  return {
    async charge(cost: number, caller: Caller): Promise<CostDecision> {
      // More than a whole minute's budget can never pass: refused without touching the count, and
      // not as a wait (a retry would be refused forever).
      if (cost > limiters.perMinute) return { allowed: false, retryAfterSeconds: 0, tooCostly: true };
      // Guests cannot be told apart behind one address (an office, a carrier's NAT): they share
      // a pool the size of the network's ceiling, kept apart from it, so what guests spend never
      // refuses the network's signed-in customers, and one guest's budget is not everyone's
      // there (the review of attack run 3's fix: 150,000 a minute was about 26 pages for all).
      const guest = caller.key === caller.network;
      const own = guest ? await limiters.perNetwork(guestPool(caller), cost) : await limiters.perCaller(ownBudget(caller), cost);
      if (!own.allowed) return { allowed: false, retryAfterSeconds: own.retryAfterSeconds };
      const network = !guest;
      let ceiling: RateLimitDecision | undefined;
      if (network) {
        ceiling = await limiters.perNetwork(networkBudget(caller), cost);
        if (!ceiling.allowed) {
          // Refused as a whole: the caller's own points are not spent on a request that did not run.
          if (own.windowEndsAt !== undefined) await limiters.perCaller.refund(ownBudget(caller), cost, own.windowEndsAt);
          return { allowed: false, retryAfterSeconds: ceiling.retryAfterSeconds };
        }
      }
      const until = !network ? own.windowEndsAt : own.windowEndsAt !== undefined && ceiling?.windowEndsAt !== undefined ? Math.min(own.windowEndsAt, ceiling.windowEndsAt) : undefined;
      const windows = { own: own.windowEndsAt, ceiling: ceiling?.windowEndsAt };
      return { allowed: true, charge: { caller, network, guest, windows, ...(until === undefined ? {} : { refundableUntil: until }) } };
    },

    /** Gives `points` of `charge` back to the budgets it was taken from, if their windows have not ended. */
    async refund(charge: CostCharge, points: number): Promise<void> {
      const until = charge.refundableUntil;
      if (until === undefined || points <= 0) return;
      // Each budget is given back in the window it was charged in: a leased budget's points go
      // back to the lease they came from, which its window names.
      const own = charge.windows?.own ?? until;
      if (charge.guest) await limiters.perNetwork.refund(guestPool(charge.caller), points, own);
      else await limiters.perCaller.refund(ownBudget(charge.caller), points, own);
      if (charge.network) await limiters.perNetwork.refund(networkBudget(charge.caller), points, charge.windows?.ceiling ?? until);
    },

    /**
     * Takes `points` more from the budgets `charge` was taken from, for work its operation did
     * beyond its measure (see ANSWER_ERROR_POINTS), whatever is left: the work is done, so it is
     * never refused, and a budget it overdraws refuses the caller's next request.
     */
    async spend(charge: CostCharge, points: number): Promise<void> {
      if (points <= 0) return;
      if (charge.guest) await limiters.perNetwork.spend(guestPool(charge.caller), points);
      else await limiters.perCaller.spend(ownBudget(charge.caller), points);
      if (charge.network) await limiters.perNetwork.spend(networkBudget(charge.caller), points);
    },
  };
}

export type CostBudget = ReturnType<typeof createCostBudget>;
