import type { Redis } from "ioredis";
import { createCallerRateLimiter, type RateLimitDecision } from "./caller-rate-limiter.js";
import { networkBudget, ownBudget, type Caller } from "./caller.js";

/** A caller's charge: allowed, or refused by its own points (`caller`) or its network's ceiling (`network`). */
export interface CallerBudgetDecision extends RateLimitDecision {
  refusedBy?: "caller" | "network";
}

/**
 * Charges `cost` points (one unless given) to a caller: a signed-in caller to its own budget,
 * then to its network's ceiling; an anonymous caller to its network's budget, never the ceiling.
 */
export type CallerBudget = (caller: Caller, cost?: number) => Promise<CallerBudgetDecision>;

/**
 * A per-caller budget of `pointsPerMinute` with a ceiling per network of `networkMultiple`
 * times it (see caller.ts). An anonymous caller is its network: its points are the network's
 * own key of this budget, apart from the ceiling, so what any number of guests spends refuses
 * guests only, and every signed-in user of the network keeps their own points and the whole
 * ceiling; accounts rotated from one network are still held to the ceiling together.
 */
export function createCallerBudget(options: { pointsPerMinute: number; networkMultiple: number; redis?: Redis; keyPrefix: string }): CallerBudget {
  const own = createCallerRateLimiter({ pointsPerMinute: options.pointsPerMinute, redis: options.redis, keyPrefix: options.keyPrefix });
  const ceiling = createCallerRateLimiter({
    pointsPerMinute: options.pointsPerMinute * options.networkMultiple,
    redis: options.redis,
    keyPrefix: `${options.keyPrefix}:network`,
  });
  return async (caller, cost = 1) => {
    const mine = await own(ownBudget(caller), cost);
    if (!mine.allowed) return { ...mine, refusedBy: "caller" };
    if (caller.key === caller.network) return mine;
    const network = await ceiling(networkBudget(caller), cost);
    return network.allowed ? network : { ...network, refusedBy: "network" };
  };
}
