import type { Redis } from "ioredis";
import { createCallerRateLimiter, type RefundableRateLimiter } from "../rate-limit/caller-rate-limiter.js";
import { networkBudget, ownBudget, type Caller } from "../rate-limit/caller.js";

export type BudgetName = "auth" | "checkout" | "search" | "views";

/** A budget a refusal can name: the configured ones, and signing in (the auth budget times the network multiple). */
type ChargedBudget = BudgetName | "signIn";

/** Root fields that cost more than a read and so draw on a budget of their own. */
const BUDGET_OF_FIELD: Record<string, ChargedBudget> = {
  // Making an identity, or mail to an address anyone can type: the auth budget, per network.
  signUp: "auth",
  requestPasswordReset: "auth",
  resendVerificationEmail: "auth",
  // Signing in with what only the person has (a password, a mailed token, a refresh token):
  // per network too, but at the network multiple of the auth budget, so one abuser behind a
  // shared address (an office, a carrier NAT) cannot sign everyone there out with 10 calls a
  // minute (150 people refreshing every 15 minutes spend 10); guessing is bounded by the
  // per-account lockouts besides. Each run counts: 30 aliased refreshes in one operation are
  // 30 store lookups, not one general point.
  logIn: "signIn",
  refreshToken: "signIn",
  resetPassword: "signIn",
  verifyEmail: "signIn",
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
const CHARGED_TO_NETWORK: ReadonlySet<ChargedBudget> = new Set(["auth", "signIn"]);

/**
 * Whether a root field signs up or in (or mails for it): charged to a per-network budget of its
 * own, so the request policy does not refuse it for a spent general or cost budget, which
 * someone else on the network may have spent.
 */
export const hasOwnNetworkBudget = (field: string): boolean => {
  const budget = BUDGET_OF_FIELD[field];
  return budget !== undefined && CHARGED_TO_NETWORK.has(budget);
};

const OWN_NETWORK_BUDGET_FIELDS = Object.keys(BUDGET_OF_FIELD).filter(hasOwnNetworkBudget);

/**
 * Whether a query text could select a field with a per-network budget of its own: a GraphQL name
 * is written out whole (no escapes), so a text without one of them selects none. Judged before
 * parsing anything, for requests a spent budget refuses.
 */
export const mayNameOwnNetworkBudgetField = (query: string): boolean => OWN_NETWORK_BUDGET_FIELDS.some((field) => query.includes(field));

export interface BudgetRefusal {
  budget: ChargedBudget;
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
  const allowance: Record<ChargedBudget, number> = { ...perMinute, signIn: perMinute.auth * networkMultiple };
  const names = Object.keys(allowance) as ChargedBudget[];
  const limiters = Object.fromEntries(
    names.map((name) => [name, createCallerRateLimiter({ pointsPerMinute: allowance[name], redis, keyPrefix: `rl:${name}` })]),
  ) as Record<ChargedBudget, RefundableRateLimiter>;
  const ceilings = Object.fromEntries(
    names
      .filter((name) => !CHARGED_TO_NETWORK.has(name))
      .map((name) => [name, createCallerRateLimiter({ pointsPerMinute: allowance[name] * networkMultiple, redis, keyPrefix: `rl:${name}:network` })]),
  ) as Partial<Record<ChargedBudget, RefundableRateLimiter>>;
  return {
    async charge(rootFields, caller) {
      const points = new Map<ChargedBudget, number>();
      for (const [field, runs] of rootFields) {
        const budget = BUDGET_OF_FIELD[field];
        if (budget) points.set(budget, (points.get(budget) ?? 0) + runs);
      }
      for (const [budget, cost] of points) {
        // More than a whole window's budget can never pass: refuse without touching the count.
        if (cost > allowance[budget]) return { budget, retryAfterSeconds: 60 };
        const own = await limiters[budget](CHARGED_TO_NETWORK.has(budget) ? networkBudget(caller) : ownBudget(caller), cost);
        if (!own.allowed) return { budget, retryAfterSeconds: own.retryAfterSeconds };
        // An anonymous caller is its network already (the same key): no second count.
        const network = caller.key === caller.network ? undefined : await ceilings[budget]?.(networkBudget(caller), cost);
        if (network && !network.allowed) return { budget, retryAfterSeconds: network.retryAfterSeconds };
      }
      return undefined;
    },
  };
}
