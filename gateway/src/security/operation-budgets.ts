import type { Redis } from "ioredis";
import { createCallerRateLimiter, type CallerRateLimiter } from "../rate-limit/caller-rate-limiter.js";

export type BudgetName = "auth" | "checkout" | "search";

/** Root fields that cost more than a read and so draw on a budget of their own. */
const BUDGET_OF_FIELD: Record<string, BudgetName> = {
  logIn: "auth",
  signUp: "auth",
  refreshToken: "auth",
  checkout: "checkout",
  search: "search",
  autocomplete: "search",
};

export interface OperationBudgets {
  /** Charges every budget the operation touches; returns the first one exhausted, if any. */
  charge(rootFields: string[], callerKey: string): Promise<{ budget: BudgetName; retryAfterSeconds: number } | undefined>;
}

export function createOperationBudgets(perMinute: Record<BudgetName, number>, redis?: Redis): OperationBudgets {
  const limiters = Object.fromEntries(
    (Object.keys(perMinute) as BudgetName[]).map((name) => [name, createCallerRateLimiter({ pointsPerMinute: perMinute[name], redis, keyPrefix: `rl:${name}` })]),
  ) as Record<BudgetName, CallerRateLimiter>;
  return {
    async charge(rootFields, callerKey) {
      const touched = new Set(rootFields.map((f) => BUDGET_OF_FIELD[f]).filter((b): b is BudgetName => b !== undefined));
      for (const budget of touched) {
        const decision = await limiters[budget](callerKey);
        if (!decision.allowed) return { budget, retryAfterSeconds: decision.retryAfterSeconds };
      }
      return undefined;
    },
  };
}
