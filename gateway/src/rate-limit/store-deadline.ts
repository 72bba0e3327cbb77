import type { RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";

/**
 * How long a budget waits for Redis: it answers in well under a millisecond, a few on a busy
 * host. Past this the charge is counted in memory, as when Redis is down.
 */
export const STORE_DEADLINE_MS = 100;
/** After a command missed its deadline, budgets count in memory this long before asking Redis again. */
export const SLOW_STORE_PAUSE_MS = 5_000;

/** Whether one Redis connection is answering in time, shared by every budget on it. */
interface StoreHealth {
  slowUntil: number;
}

const healthOf = new WeakMap<StoreConnection, StoreHealth>();

/** The Redis connection the store's commands go through (ioredis's `status`: "ready" once connected). */
export interface StoreConnection {
  readonly status: string;
}

/** The budget operations the rate limiters use. */
export interface BudgetStore {
  consume(key: string, points: number): Promise<RateLimiterRes>;
  reward(key: string, points: number): Promise<unknown>;
}

/**
 * A shared budget (`store`, on Redis) whose every command has a deadline, falling back to
 * `memory` (its insurance limiter) past it. A Redis that answers, but slowly (300 ms a command),
 * added that much to every request for each budget it charged: the command timeout (1 s) and
 * the insurance limiter only act on commands that fail. Once a command misses the deadline,
 * every budget on that connection counts in memory for SLOW_STORE_PAUSE_MS, then asks again:
 * a slow store costs a request at most one deadline, and few requests that. While counting in
 * memory, each gateway process counts alone (as when Redis is down): a caller may then get up to
 * its budget from each process.
 *
 * A command past its deadline may still be carried out by Redis: its points are then counted
 * there as well as in memory, refusing a caller a little early, never letting it past.
 */
export function withStoreDeadline(store: BudgetStore, memory: RateLimiterAbstract, connection: StoreConnection, clock: () => number = Date.now): BudgetStore {
  let health = healthOf.get(connection);
  if (!health) healthOf.set(connection, (health = { slowUntil: 0 }));
  const known = health;
  const inTime = <T>(asked: () => Promise<T>, fallback: () => Promise<T>): Promise<T> => {
    if (known.slowUntil > clock()) return fallback();
    const answer = asked();
    // A command sent before the connection is ready waits for it (or fails at once, without an
    // offline queue, to the insurance limiter): connecting is not a slow store.
    if (connection.status !== "ready") return answer;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        // After the I/O this turn of the event loop has read: an answer that arrived while the
        // process was busy past the deadline is still in time (a busy process is not a slow store).
        () =>
          setImmediate(() => {
            if (settled) return;
            settled = true;
            known.slowUntil = clock() + SLOW_STORE_PAUSE_MS;
            fallback().then(resolve, reject);
          }),
        STORE_DEADLINE_MS,
      );
      answer.then(
        (value) => {
          clearTimeout(timer);
          if (!settled) (settled = true), resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!settled) (settled = true), reject(error);
        },
      );
    });
  };
  return {
    consume: (key, points) => inTime(() => store.consume(key, points), () => memory.consume(key, points)),
    reward: (key, points) => inTime(() => store.reward(key, points), () => memory.reward(key, points)),
  };
}
