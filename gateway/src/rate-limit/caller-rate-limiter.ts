import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import { networkSite, siteCapacity } from "#kernel";
import type { BudgetKey } from "./caller.js";
import { createRedisBudgetStore } from "./redis-budget-store.js";
import { createRefusalMemory } from "./refusal-memory.js";
import { withStoreDeadline, type BudgetStore } from "./store-deadline.js";
import { leaseSizeFor, withLocalLeases, type TakeFromSharedBudget } from "../performance/leased-rate-limit.js";

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
  /** When the window the points were taken from ends (ms since the epoch), where the store said so. */
  windowEndsAt?: number;
}

/**
 * The largest lease of cost points: 1% of the default 150,000 a caller may spend a minute is
 * 1,500, and a network's guests' pool (1,500,000) leases 2,000 at a time, so a product read
 * asks Redis about once per hundred requests instead of twice per request, and a process
 * holding an unspent lease at a window's end refuses a caller at most 2,000 points early.
 */
export const COST_LEASE_MAX = 2_000;

/**
 * Per-caller request budgets (a user id when signed in, else the client IP). With Redis the
 * budget is shared by every gateway instance; without it each process keeps its own.
 * If Redis fails the limiter lets traffic through (insurance limiter in memory) rather than
 * taking the store down with it.
 */
export function createCallerRateLimiter(options: { pointsPerMinute: number; redis?: Redis; keyPrefix?: string; leaseMax?: number }) {
  const own = createSingleKeyRateLimiter(options);
  // A key naming an IPv6 /64 also draws on its /48 site, NETWORKS_PER_SITE times the budget:
  // rotating /64s of one /48 (65,536 of them) buys no more than that.
  const site = createSingleKeyRateLimiter({ ...options, pointsPerMinute: siteCapacity(options.pointsPerMinute), keyPrefix: `${options.keyPrefix ?? "rl:gateway"}:site` });
  // A caller's budget key carries its site; a bare key (an image budget's) is read for one.
  const keysOf = (budget: string | BudgetKey): BudgetKey => (typeof budget === "string" ? { key: budget, site: networkSite(budget) } : budget);
  const limit = async (budget: string | BudgetKey, cost = 1): Promise<RateLimitDecision> => {
    const { key: callerKey, site: siteKey } = keysOf(budget);
    const decision = await own(callerKey, cost);
    if (!decision.allowed || siteKey === undefined) return decision;
    const shared = await site(siteKey, cost);
    // A refund is given only while both windows charged are still open: the earlier end of the two.
    if (shared.allowed) return decision.windowEndsAt === undefined || shared.windowEndsAt === undefined ? decision : { ...decision, windowEndsAt: Math.min(decision.windowEndsAt, shared.windowEndsAt) };
    // Refused by the site: what the network was charged goes back, as for any refusal.
    if (decision.windowEndsAt !== undefined) await own.refund(callerKey, cost, decision.windowEndsAt);
    return shared;
  };
  const refund = async (budget: string | BudgetKey, points: number, windowEndsAt: number): Promise<void> => {
    const { key: callerKey, site: siteKey } = keysOf(budget);
    await own.refund(callerKey, points, windowEndsAt);
    if (siteKey !== undefined) await site.refund(siteKey, points, windowEndsAt);
  };
  const spend = async (budget: string | BudgetKey, points: number): Promise<void> => {
    const { key: callerKey, site: siteKey } = keysOf(budget);
    await own.spend(callerKey, points);
    if (siteKey !== undefined) await site.spend(siteKey, points);
  };
  return Object.assign(limit, { refund, spend });
}

/** One budget per key, shared through Redis when given. */
function createSingleKeyRateLimiter(options: { pointsPerMinute: number; redis?: Redis; keyPrefix?: string; leaseMax?: number }) {
  const base = { points: options.pointsPerMinute, duration: 60, keyPrefix: options.keyPrefix ?? "rl:gateway" };
  const memory = new RateLimiterMemory(base);
  // On Redis: in memory while Redis is down (its insurance) or slow (the deadline); the
  // charges of one turn of the event loop, every budget's, ride in one script (see redis-budget-store.ts).
  const limiter: BudgetStore = options.redis
    ? withStoreDeadline(createRedisBudgetStore({ redis: options.redis, points: base.points, duration: base.duration, keyPrefix: base.keyPrefix, insurance: memory }), memory, options.redis)
    : memory;
  // A caller refused by the store is refused from memory until its window turns (see refusal-memory.ts).
  const refusals = options.redis ? createRefusalMemory() : undefined;
  const take: TakeFromSharedBudget = async (callerKey, points) => {
    const refusedFor = refusals?.refusedFor(callerKey, points);
    if (refusedFor !== undefined) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(refusedFor / 1000)), msBeforeReset: refusedFor };
    try {
      const result = await limiter.consume(callerKey, points);
      refusals?.taken(callerKey, points);
      return { allowed: true, retryAfterSeconds: 0, msBeforeReset: result.msBeforeNext };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        // A refused request spends nothing: a batch too big for what is left leaves the rest usable.
        await limiter.reward(callerKey, points).catch(() => undefined);
        // The count included this request's points: without them, what was left.
        refusals?.remember(callerKey, options.pointsPerMinute - (rejection.consumedPoints - points), rejection.msBeforeNext);
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), msBeforeReset: rejection.msBeforeNext };
      }
      throw rejection;
    }
  };
  // Shared through Redis: points are leased a few at a time instead of a round trip per request.
  const leased = options.redis ? withLocalLeases(take, leaseSizeFor(options.pointsPerMinute, options.leaseMax)) : undefined;
  const limit = async (callerKey: string, cost = 1): Promise<RateLimitDecision> => {
    if (leased) return leased(callerKey, cost);
    const started = Date.now();
    const decision = await take(callerKey, cost);
    return { allowed: decision.allowed, retryAfterSeconds: decision.retryAfterSeconds, ...(decision.allowed ? { windowEndsAt: started + decision.msBeforeReset } : {}) };
  };
  /**
   * Gives back points taken in the window ending at `windowEndsAt` (what a request was charged
   * beyond what it turned out to cost): to the lease they came from while this process holds
   * it, else to the shared count. Past that window nothing is given: the new window's count is
   * other requests', and a reward would start it below zero.
   */
  const refund = async (callerKey: string, points: number, windowEndsAt: number): Promise<void> => {
    if (points <= 0 || Date.now() >= windowEndsAt) return;
    if (leased?.giveBack(callerKey, points, windowEndsAt)) return;
    await limiter.reward(callerKey, points).then(() => refusals?.taken(callerKey, -points), () => undefined);
  };
  /**
   * Takes points for work already done (an answer's errors, priced once it has run), whatever
   * is left: never refused, and a budget it overdraws refuses the caller's next requests until
   * its window turns. From the lease this process holds when it covers them (a refused
   * checkout's one error: no round trip), else from the shared count, past the lease.
   */
  const spend = async (callerKey: string, points: number): Promise<void> => {
    if (points <= 0) return;
    if (leased?.spendFromLease(callerKey, points)) return;
    try {
      await limiter.consume(callerKey, points);
      refusals?.taken(callerKey, points);
    } catch (rejection) {
      // Overdrawn: the count keeps the points (nothing is given back), and the caller is refused.
      if (rejection instanceof RateLimiterRes) refusals?.remember(callerKey, options.pointsPerMinute - rejection.consumedPoints, rejection.msBeforeNext);
    }
  };
  return Object.assign(limit, { refund, spend });
}

/** Takes `cost` points from the caller's budget, or says when to retry. */
export type CallerRateLimiter = (budget: string | BudgetKey, cost?: number) => Promise<RateLimitDecision>;

/** A limiter that can also give points back (the cost budget, settled after the work is done). */
export type RefundableRateLimiter = ReturnType<typeof createCallerRateLimiter>;
