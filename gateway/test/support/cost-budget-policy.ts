import { createRequestPolicy, type OperationLimits } from "../../src/security/request-policy.js";
import type { Redis } from "ioredis";
import { COST_LEASE_MAX, createCallerRateLimiter, type CallerRateLimiter } from "../../src/rate-limit/caller-rate-limiter.js";
import type { OperationBudgets } from "../../src/security/operation-budgets.js";
import type { PersistedOperationCheck } from "../../src/security/persisted-operations.js";

export const limits: OperationLimits = { maxDepth: 12, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 10, maxTokens: 2_000, maxBatchSize: 10 };
export const allowAll = (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter;

/**
 * A real policy whose only budget is cost: `perMinute` per caller, ten times that per network
 * (and the guests' pool); per-field budgets free unless `budgets` is given.
 */
export function policyWithCostBudget(
  perMinute: number,
  options: { isPrepared?: (query: string, operationName: string | undefined) => boolean; budgets?: OperationBudgets; redis?: Redis; keyPrefix?: string } = {},
) {
  // On Redis, leased as the gateway leases its cost budgets.
  const shared = options.redis ? { redis: options.redis, leaseMax: COST_LEASE_MAX } : {};
  const prefix = options.keyPrefix ?? "rl:cost";
  return createRequestPolicy({
    isPrepared: options.isPrepared,
    limits,
    rateLimit: allowAll,
    networkRateLimit: allowAll,
    costRateLimit: {
      perMinute,
      perCaller: createCallerRateLimiter({ pointsPerMinute: perMinute, keyPrefix: prefix, ...shared }),
      perNetwork: createCallerRateLimiter({ pointsPerMinute: perMinute * 10, keyPrefix: `${prefix}:network`, ...shared }),
    },
    budgets: options.budgets ?? { charge: async () => ({ giveBack: async () => {} }) },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
  });
}

/** An operation measured at exactly `cost`: a page of `cost - 1` ids. */
export const costing = (cost: number) => ({ query: `{ products(first: ${cost - 1}) { id } }` });
