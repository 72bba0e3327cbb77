import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Redis } from "ioredis";

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Per-caller request budgets (a user id when signed in, else the client IP). With Redis the
 * budget is shared by every gateway instance; without it each process keeps its own.
 * If Redis fails the limiter lets traffic through (insurance limiter in memory) rather than
 * taking the store down with it.
 */
export function createCallerRateLimiter(options: { pointsPerMinute: number; redis?: Redis; keyPrefix?: string }) {
  const base = { points: options.pointsPerMinute, duration: 60, keyPrefix: options.keyPrefix ?? "rl:gateway" };
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({ ...base, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(base) })
    : new RateLimiterMemory(base);
  return async (callerKey: string, cost = 1): Promise<RateLimitDecision> => {
    try {
      await limiter.consume(callerKey, cost);
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      throw rejection;
    }
  };
}

export type CallerRateLimiter = ReturnType<typeof createCallerRateLimiter>;
