import type { Redis } from "ioredis";
import { createCallerRateLimiter, type CallerRateLimiter } from "../rate-limit/caller-rate-limiter.js";
import type { Caller } from "../rate-limit/caller.js";

export type BudgetName = "auth" | "checkout" | "search" | "views";

/** Root fields that cost more than a read and so draw on a budget of their own. */
const BUDGET_OF_FIELD: Record<string, BudgetName> = {
  logIn: "auth",
  signUp: "auth",
  refreshToken: "auth",
  requestPasswordReset: "auth",
  resetPassword: "auth",
  verifyEmail: "auth",
  resendVerificationEmail: "auth",
  checkout: "checkout",
  // Each try of a coupon code is a guess at a secret: guessing codes costs what checking out does.
  applyCoupon: "checkout",
  search: "search",
  autocomplete: "search",
  recordProductView: "views",
};

/**
 * Budgets of operations that create or authenticate identities: charged to the client's
 * network whatever token is sent, since a token is what they hand out (a fresh account's
 * token bought a fresh auth budget: 25 signUps in seconds from one address).
 */
const CHARGED_TO_NETWORK: ReadonlySet<BudgetName> = new Set(["auth"]);

export interface BudgetRefusal {
  budget: BudgetName;
  retryAfterSeconds: number;
}

export interface OperationBudgets {
  /**
   * Charges one point per run of a budgeted root field (`{ a: search b: search }` is two
   * searches), summed over every operation of a request, all or nothing per budget.
   * Returns the first budget exhausted, if any. The auth budget is charged to the caller's
   * network; the others to the caller, and to its network's ceiling of `networkMultiple`
   * times the budget (a refusal there may leave the caller's own points spent).
   */
  charge(rootFields: Iterable<[string, number]>, caller: Caller): Promise<BudgetRefusal | undefined>;
}

export function createOperationBudgets(perMinute: Record<BudgetName, number>, options: { redis?: Redis; networkMultiple: number }): OperationBudgets {
  const { redis, networkMultiple } = options;
  const limiters = Object.fromEntries(
    (Object.keys(perMinute) as BudgetName[]).map((name) => [name, createCallerRateLimiter({ pointsPerMinute: perMinute[name], redis, keyPrefix: `rl:${name}` })]),
  ) as Record<BudgetName, CallerRateLimiter>;
  const ceilings = Object.fromEntries(
    (Object.keys(perMinute) as BudgetName[])
      .filter((name) => !CHARGED_TO_NETWORK.has(name))
      .map((name) => [name, createCallerRateLimiter({ pointsPerMinute: perMinute[name] * networkMultiple, redis, keyPrefix: `rl:${name}:network` })]),
  ) as Partial<Record<BudgetName, CallerRateLimiter>>;
  return {
    async charge(rootFields, caller) {
      const points = new Map<BudgetName, number>();
      for (const [field, runs] of rootFields) {
        const budget = BUDGET_OF_FIELD[field];
        if (budget) points.set(budget, (points.get(budget) ?? 0) + runs);
      }
      for (const [budget, cost] of points) {
        // More than a whole window's budget can never pass: refuse without touching the count.
        if (cost > perMinute[budget]) return { budget, retryAfterSeconds: 60 };
        const own = await limiters[budget](CHARGED_TO_NETWORK.has(budget) ? caller.network : caller.key, cost);
        if (!own.allowed) return { budget, retryAfterSeconds: own.retryAfterSeconds };
        const network = await ceilings[budget]?.(caller.network, cost);
        if (network && !network.allowed) return { budget, retryAfterSeconds: network.retryAfterSeconds };
      }
      return undefined;
    },
  };
}
