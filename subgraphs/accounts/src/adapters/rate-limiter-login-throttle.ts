import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import { NETWORKS_PER_SITE, networkSite } from "#kernel";
import type { LoginAttempt, LoginThrottle, ThrottleDecision } from "../ports/login-throttle.js";

export interface LoginThrottleOptions {
  /** Per account from one address: the low threshold. Without it the account counts alone. */
  failuresPerAccountFromAddress?: number;
  /** Per account over every address. */
  failuresPerAccount: number;
  failuresPerAddress: number;
  /** Per known device (an attempt with a verified device proof); without it devices are not told apart (mail). */
  failuresPerDevice?: number;
  windowSeconds: number;
  /** Shared counters for every instance; without it each process counts on its own. */
  redis?: Redis;
  keyPrefix?: string;
}

/**
 * The login throttle on rate-limiter-flexible: Redis counters (atomic Lua, one key per
 * account, per account and address, per address and per account and device, expiring with the
 * window) when Redis is configured, memory
 * otherwise. Should Redis fail, an in-memory insurance limiter keeps counting in this
 * process: a brute force is slowed down rather than let through or blocking every log-in.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const prefix = options.keyPrefix ?? "login";
  const limiter = (name: string, points: number): RateLimiterAbstract => {
    const base = { keyPrefix: `${prefix}:${name}`, points, duration: options.windowSeconds };
    return options.redis
      ? new RateLimiterRedis({ ...base, storeClient: options.redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(base) })
      : new RateLimiterMemory(base);
  };
  const byAccount = limiter("account", options.failuresPerAccount);
  const byAddress = limiter("address", options.failuresPerAddress);
  // An IPv6 /64's /48 site counts its networks together (see NETWORKS_PER_SITE): guessing from a
  // new /64 of one /48 for each batch of tries is held to the site's count.
  const bySite = limiter("site", options.failuresPerAddress * NETWORKS_PER_SITE);
  const byPair = options.failuresPerAccountFromAddress ? limiter("account-address", options.failuresPerAccountFromAddress) : undefined;
  // An address is a network (no spaces); an email key holds no whitespace either.
  const pairKey = (attempt: LoginAttempt) => `${attempt.address ?? "unknown"} ${attempt.account}`;
  const byDevice = options.failuresPerDevice ? limiter("account-device", options.failuresPerDevice) : undefined;
  const deviceKey = (attempt: LoginAttempt) => (byDevice && attempt.device ? `${attempt.device} ${attempt.account}` : undefined);
  // What refuses an attempt: a known device its own count alone, anyone else every counter.
  const judgedBy = (attempt: LoginAttempt) => {
    const device = deviceKey(attempt);
    return device ? [{ limiter: byDevice!, key: device }] : counters(attempt);
  };
  // What a failure adds to: a known device's failures count on the account's ceiling too.
  const countedOn = (attempt: LoginAttempt) => {
    const device = deviceKey(attempt);
    return device ? [{ limiter: byDevice!, key: device }, { limiter: byAccount, key: attempt.account }] : counters(attempt);
  };
  const counters = (attempt: LoginAttempt) => [{ limiter: byAccount, key: attempt.account }, ...clientCounters(attempt)];
  /** The counters of the client making the attempt: its network's for the account, and its network's and site's overall. */
  const clientCounters = (attempt: LoginAttempt) => [
    ...(byPair ? [{ limiter: byPair, key: pairKey(attempt) }] : []),
    ...(attempt.address ? [{ limiter: byAddress, key: attempt.address }] : []),
    ...siteOf(attempt).map((site) => ({ limiter: bySite, key: site })),
  ];
  /** Counts a point on each counter at once; the longest wait among those that refused, else 0. */
  const consumeAll = async (each: { limiter: RateLimiterAbstract; key: string }[]): Promise<number> => {
    const waits = await Promise.all(
      each.map(({ limiter, key }) =>
        limiter.consume(key).then(
          () => 0,
          (rejection: unknown) => {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
            return Math.max(1, rejection.msBeforeNext);
          },
        ),
      ),
    );
    return Math.max(0, ...waits);
  };
  const siteOf = (attempt: LoginAttempt): string[] => {
    const site = attempt.address === undefined ? undefined : networkSite(attempt.address);
    return site === undefined ? [] : [site];
  };

  return {
    engine: options.redis ? "redis" : "memory",

    async check(attempt): Promise<ThrottleDecision> {
      const states = await Promise.all(judgedBy(attempt).map(async ({ limiter, key }) => ({ limiter, state: await limiter.get(key) })));
      const exhausted = states.filter(({ limiter, state }) => state !== null && state.consumedPoints >= limiter.points);
      if (exhausted.length === 0) return { allowed: true, retryAfterSeconds: 0 };
      const waitMs = Math.max(...exhausted.map(({ state }) => state!.msBeforeNext));
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    },

    async recordFailure(attempt) {
      await Promise.all(
        countedOn(attempt).map(({ limiter, key }) =>
          // Past the budget consume rejects; the count still went up, which is all we need here.
          limiter.consume(key).catch((rejection: unknown) => {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
          }),
        ),
      );
    },

    async recordSuccess(attempt) {
      const device = deviceKey(attempt);
      if (device) return void (await byDevice!.delete(device));
      await (byPair ? byPair.delete(pairKey(attempt)) : byAccount.delete(attempt.account));
    },

    async forgiveAccount(attempt) {
      await Promise.all([byAccount.delete(attempt.account), byPair?.delete(pairKey(attempt))]);
    },

    async consume(attempt): Promise<ThrottleDecision> {
      // The client's own counters first; the account's ceiling only for what they let through.
      // Counted on the ceiling as well, the requests a stranger's network was refused spent it
      // and refused the owner's network too: the per-network budget held nobody off.
      const waitMs = (await consumeAll(clientCounters(attempt))) || (await consumeAll([{ limiter: byAccount, key: attempt.account }]));
      return waitMs === 0 ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    },
  };
}
