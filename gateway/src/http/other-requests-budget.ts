import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { budgetRefusalHeaders, countRateLimitRefusal, ErrorCode, rateLimitedMessage, sendGraphQLError } from "#kernel";
import { createCallerRateLimiter, type RateLimitDecision } from "../rate-limit/caller-rate-limiter.js";
import type { BudgetKey } from "../rate-limit/caller.js";

/** The refusal's name, in `extensions.budget` and `storefront_rate_limit_refusals_total`. */
export const OTHER_REQUESTS_BUDGET = "other_requests";

export interface OtherRequestsBudget {
  /**
   * Takes a point of the network's budget for `req`, before anything of it is read, verified or
   * parsed: true to go on; false once its refusal (429, the connection closed) was sent.
   */
  enter(req: IncomingMessage, res: ServerResponse, network: BudgetKey): Promise<boolean>;
  /** A budget of its own counted `req` (an admitted operation, an image): its point goes back. */
  countedElsewhere(req: IncomingMessage): void;
  /**
   * Takes a point for a WebSocket message refused before the request policy would charge it (an
   * operation id too long, one already running, past the operations a socket may run at once):
   * the same budget, so a refusal costs a point over either transport.
   */
  take(network: BudgetKey): Promise<RateLimitDecision>;
}

/**
 * The budget of the requests no other budget counts, per client network: what a request is
 * refused before its operation is admitted (a bad or expired token, a cart token that is not
 * the store's, a body that is not JSON, too large or compressed), and health, metrics, pages
 * and paths that do not exist. Each took no point of anything, while costing the gateway its
 * work: an unreadable 84 KB body 1.9 ms of CPU, one /healthz or 404 0.05-0.08 ms, and one
 * address on 16 kept-alive connections sent them as fast as the gateway answered (187 bodies
 * a second held a bystander's read at 211 ms; 7,800 404s a second 38% of a core).
 *
 * Every request takes its point at the door, first, and gives it back once a budget of its own
 * has counted it, so an admitted operation or an image costs nothing here and a refusal costs
 * one point wherever it is refused. Past the budget a request is refused 429 unread, closing
 * its connection: the next try opens one the per-network connection budget counts.
 */
export function createOtherRequestsBudget(options: { pointsPerMinute: number; redis?: Redis }): OtherRequestsBudget {
  const limiter = createCallerRateLimiter({ pointsPerMinute: options.pointsPerMinute, redis: options.redis, keyPrefix: "rl:other-requests" });
  /** The point each request holds, until it is given back or the request is gone. */
  const held = new WeakMap<IncomingMessage, { network: BudgetKey; windowEndsAt: number }>();
  return {
    async enter(req, res, network) {
      const decision = await limiter(network, 1);
      if (decision.allowed) {
        if (decision.windowEndsAt !== undefined) held.set(req, { network, windowEndsAt: decision.windowEndsAt });
        return true;
      }
      countRateLimitRefusal(OTHER_REQUESTS_BUDGET);
      // Its body is not read: the answer closes the connection (see unread-body.ts).
      sendGraphQLError(res, 429, ErrorCode.RATE_LIMITED, rateLimitedMessage("requests", decision.retryAfterSeconds), budgetRefusalHeaders(decision.retryAfterSeconds), {
        retryAfterSeconds: decision.retryAfterSeconds,
        budget: OTHER_REQUESTS_BUDGET,
      });
      return false;
    },
    countedElsewhere(req) {
      const point = held.get(req);
      if (!point) return;
      held.delete(req);
      void limiter.refund(point.network, 1, point.windowEndsAt).catch(() => undefined);
    },
    take: (network) => limiter(network, 1),
  };
}
