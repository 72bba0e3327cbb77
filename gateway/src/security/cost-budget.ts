import type { RateLimitDecision, RefundableRateLimiter } from "../rate-limit/caller-rate-limiter.js";
import type { Caller } from "../rate-limit/caller.js";

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
  /** The earliest end of the windows charged; unknown (no refund) when the store did not say. */
  refundableUntil?: number;
}

export type CostDecision = { allowed: true; charge: CostCharge } | { allowed: false; retryAfterSeconds: number };

/**
 * The cost budget: charged an operation's measured (maximum) cost before it runs, so what is
 * admitted never exceeds the budget, and given back after it has run what it did not cost
 * (`refund`), so the budget counts the work done, not the work that might have been: a page of
 * products that do not exist spends what its nulls cost.
 */
export function createCostBudget(limiters: CostBudgetLimiters) {
  return {
    async charge(cost: number, caller: Caller): Promise<CostDecision> {
      // More than a whole minute's budget can never pass: refused without touching the count.
      if (cost > limiters.perMinute) return { allowed: false, retryAfterSeconds: 60 };
      const own = await limiters.perCaller(caller.key, cost);
      if (!own.allowed) return { allowed: false, retryAfterSeconds: own.retryAfterSeconds };
      // An anonymous caller is its network already: its own budget is the tighter one.
      const network = caller.key !== caller.network;
      let ceiling: RateLimitDecision | undefined;
      if (network) {
        ceiling = await limiters.perNetwork(caller.network, cost);
        if (!ceiling.allowed) {
          // Refused as a whole: the caller's own points are not spent on a request that did not run.
          if (own.windowEndsAt !== undefined) await limiters.perCaller.refund(caller.key, cost, own.windowEndsAt);
          return { allowed: false, retryAfterSeconds: ceiling.retryAfterSeconds };
        }
      }
      const until = !network ? own.windowEndsAt : own.windowEndsAt !== undefined && ceiling?.windowEndsAt !== undefined ? Math.min(own.windowEndsAt, ceiling.windowEndsAt) : undefined;
      return { allowed: true, charge: { caller, network, ...(until === undefined ? {} : { refundableUntil: until }) } };
    },

    /** Gives `points` of `charge` back to the budgets it was taken from, if their windows have not ended. */
    async refund(charge: CostCharge, points: number): Promise<void> {
      const until = charge.refundableUntil;
      if (until === undefined || points <= 0) return;
      await limiters.perCaller.refund(charge.caller.key, points, until);
      if (charge.network) await limiters.perNetwork.refund(charge.caller.network, points, until);
    },
  };
}

export type CostBudget = ReturnType<typeof createCostBudget>;
