import type { Redis } from "ioredis";
import { createCallerRateLimiter, type CallerRateLimiter } from "../rate-limit/caller-rate-limiter.js";

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

export interface BudgetRefusal {
  budget: BudgetName;
  retryAfterSeconds: number;
}

export interface OperationBudgets {
  /**
   * Charges one point per run of a budgeted root field (`{ a: search b: search }` is two
   * searches), summed over every operation of a request, all or nothing per budget.
   * Returns the first budget exhausted, if any.
   */
  charge(rootFields: Iterable<[string, number]>, callerKey: string): Promise<BudgetRefusal | undefined>;
}

export function createOperationBudgets(perMinute: Record<BudgetName, number>, redis?: Redis): OperationBudgets {
  const limiters = Object.fromEntries(
    (Object.keys(perMinute) as BudgetName[]).map((name) => [name, createCallerRateLimiter({ pointsPerMinute: perMinute[name], redis, keyPrefix: `rl:${name}` })]),
  ) as Record<BudgetName, CallerRateLimiter>;
  return {
    async charge(rootFields, callerKey) {
      const points = new Map<BudgetName, number>();
      for (const [field, runs] of rootFields) {
        const budget = BUDGET_OF_FIELD[field];
        if (budget) points.set(budget, (points.get(budget) ?? 0) + runs);
      }
      for (const [budget, cost] of points) {
        // More than a whole window's budget can never pass: refuse without touching the count.
        if (cost > perMinute[budget]) return { budget, retryAfterSeconds: 60 };
        const decision = await limiters[budget](callerKey, cost);
        if (!decision.allowed) return { budget, retryAfterSeconds: decision.retryAfterSeconds };
      }
      return undefined;
    },
  };
}
