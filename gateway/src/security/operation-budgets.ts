import type { Redis } from "ioredis";
import { createCallerRateLimiter, type RefundableRateLimiter } from "../rate-limit/caller-rate-limiter.js";
import { networkBudget, ownBudget, type Caller } from "../rate-limit/caller.js";

export type BudgetName = "auth" | "checkout" | "search" | "views" | "guestCarts";

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
  // A guest cart token is free to mint, and each one a cart row once a line goes in (kept
  // 30 days): without a budget of its own a network's guests made 300 rows a minute on their
  // general points, 13 million a month for one address.
  createGuestCart: "guestCarts",
};

/**
 * Budgets of operations that create or authenticate identities: charged to the client's
 * network whatever token is sent, since a token is what they hand out (a fresh account's
 * token bought a fresh auth budget: 25 signUps in seconds from one address).
 */
const SIGNS_IN: ReadonlySet<ChargedBudget> = new Set(["auth", "signIn"]);

/**
 * Budgets charged to the client's network whatever token is sent: signing up or in, and
 * minting guest carts (what a token, anyone's, would otherwise multiply).
 */
const CHARGED_TO_NETWORK: ReadonlySet<ChargedBudget> = new Set([...SIGNS_IN, "guestCarts"]);

/**
 * Whether a root field signs up or in (or mails for it): charged to a per-network budget of its
 * own, so the request policy does not refuse it for a spent general or cost budget, which
 * someone else on the network may have spent.
 */
export const hasOwnNetworkBudget = (field: string): boolean => {
  const budget = BUDGET_OF_FIELD[field];
  return budget !== undefined && SIGNS_IN.has(budget);
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

/** What charging a request's per-field budgets decided: the budget that refused it, if any, and how to give its points back. */
export interface FieldBudgetsCharge {
  refused?: BudgetRefusal;
  /**
   * Gives back every point this charge took (nothing was taken when it was refused): the
   * request was refused by another budget charged beside it, and ran nothing.
   */
  giveBack(): Promise<void>;
}

export interface OperationBudgets {
  /**
   * Charges one point per run of a budgeted root field (`{ a: search b: search }` is two
   * searches), summed over every operation of a request, all or nothing: the request's
   * budgets, and each one's network ceiling, are charged together (their round trips to Redis
   * ride in one script), and a refusal by any gives back what the others took. The auth and
   * guest cart budgets are charged to the caller's network; the others to the caller, and to its network's
   * ceiling of `networkMultiple` times the budget. Answers the first budget exhausted, in the
   * order the request names them.
   */
  charge(rootFields: Iterable<[string, number]>, caller: Caller): Promise<FieldBudgetsCharge>;
}

const nothingToGiveBack = async () => {};

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
      // More than a whole window's budget can never pass: refused without touching any count.
      for (const [budget, cost] of points) if (cost > allowance[budget]) return { refused: { budget, retryAfterSeconds: 60 }, giveBack: nothingToGiveBack };
      const charges = [...points].flatMap(([budget, cost]) => {
        const own = { budget, cost, limiter: limiters[budget], key: CHARGED_TO_NETWORK.has(budget) ? networkBudget(caller) : ownBudget(caller) };
        // An anonymous caller is its network already (the same key): no second count.
        const ceiling = ceilings[budget];
        return ceiling && caller.key !== caller.network ? [own, { budget, cost, limiter: ceiling, key: networkBudget(caller) }] : [own];
      });
      const decisions = await Promise.all(charges.map((charge) => charge.limiter(charge.key, charge.cost)));
      const giveBack = async () => {
        await Promise.all(
          charges.map((charge, i) => {
            const decision = decisions[i]!;
            return decision.allowed && decision.windowEndsAt !== undefined ? charge.limiter.refund(charge.key, charge.cost, decision.windowEndsAt) : undefined;
          }),
        );
      };
      const refusedAt = decisions.findIndex((decision) => !decision.allowed);
      if (refusedAt < 0) return { giveBack };
      await giveBack();
      return { refused: { budget: charges[refusedAt]!.budget, retryAfterSeconds: decisions[refusedAt]!.retryAfterSeconds }, giveBack: nothingToGiveBack };
    },
  };
}
