import type { Redis } from "ioredis";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { BudgetStore } from "./store-deadline.js";

/**
 * Charges several budget keys in one script: for each key, its window opened when absent
 * (SET NX EX), its count moved by the points (INCRBY, negative to give back), and the count and
 * the milliseconds left of its window answered. The same steps, key by key, as
 * rate-limiter-flexible's RateLimiterRedis script, so counts kept by either are the same counts.
 * KEYS are the budgets' keys; ARGV holds each key's points and window seconds in turn.
 */
const CHARGE_BUDGETS = `
local answers = {}
for i, key in ipairs(KEYS) do
  local seconds = ARGV[2 * i]
  redis.call('set', key, 0, 'EX', seconds, 'NX')
  local consumed = redis.call('incrby', key, ARGV[2 * i - 1])
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, seconds)
    ttl = 1000 * seconds
  end
  answers[2 * i - 1] = consumed
  answers[2 * i] = ttl
end
return answers
`;

interface Charge {
  key: string;
  points: number;
  seconds: number;
  settle(answer: { consumed: number; msLeft: number } | Error): void;
}

type ChargingConnection = Redis & { budgetCharge(...keysAndArgs: (string | number)[]): Promise<number[]> };

/** The charges each connection has waiting for the end of this turn, sent together then. */
const waitingOn = new WeakMap<Redis, Charge[]>();

function chargesOn(redis: Redis): Charge[] | undefined {
  return waitingOn.get(redis);
}

/**
 * Sends every charge asked on `redis` during this turn of the event loop (up to its microtasks)
 * in one script: the budgets one request charges together (its cost and its per-field budgets,
 * a caller's and its network's), and those of other requests in the same turn, are one round
 * trip and one socket write instead of one each.
 */
function enqueue(redis: Redis, charge: Charge): void {
  let waiting = chargesOn(redis);
  if (!waiting) {
    waiting = [];
    waitingOn.set(redis, waiting);
    queueMicrotask(() => send(redis));
  }
  waiting.push(charge);
}

function send(redis: Redis): void {
  const charges = chargesOn(redis) ?? [];
  waitingOn.delete(redis);
  const keysAndArgs: (string | number)[] = [charges.length];
  for (const charge of charges) keysAndArgs.push(charge.key);
  for (const charge of charges) keysAndArgs.push(charge.points, charge.seconds);
  (redis as ChargingConnection).budgetCharge(...keysAndArgs).then(
    (answers) => charges.forEach((charge, i) => charge.settle({ consumed: Number(answers[2 * i]), msLeft: Number(answers[2 * i + 1]) })),
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const charge of charges) charge.settle(failure);
    },
  );
}

/**
 * One budget of `points` a `duration` (seconds) per key on Redis, keyed `keyPrefix:key`, as
 * RateLimiterRedis keeps it, whose charges ride in one script with every other charge of the
 * same turn on the connection. A consume over the budget is refused with the count it reached
 * (RateLimiterRes, as RateLimiterRedis refuses: the points stay counted until rewarded); a
 * command that fails is counted by `insurance` (memory) instead, as RateLimiterRedis's
 * insurance limiter does.
 *
 * A script over several keys needs them on one server: this is for a single Redis (or a
 * primary with replicas), not a Redis Cluster, which the platform does not use.
 */
export function createRedisBudgetStore(options: { redis: Redis; points: number; duration: number; keyPrefix: string; insurance: RateLimiterAbstract }): BudgetStore {
  const { redis, points: limit, duration, keyPrefix, insurance } = options;
  if (!("budgetCharge" in redis)) redis.defineCommand("budgetCharge", { lua: CHARGE_BUDGETS });
  const charge = (key: string, points: number): Promise<{ consumed: number; msLeft: number }> =>
    new Promise((resolve, reject) => enqueue(redis, { key: `${keyPrefix}:${key}`, points, seconds: duration, settle: (answer) => (answer instanceof Error ? reject(answer) : resolve(answer)) }));
  const resultOf = (consumed: number, msLeft: number): RateLimiterRes => new RateLimiterRes(Math.max(limit - consumed, 0), msLeft, consumed, false);
  return {
    consume(key, points) {
      if (!Number.isInteger(points)) return insurance.consume(key, points);
      return charge(key, points).then(
        ({ consumed, msLeft }) => {
          const result = resultOf(consumed, msLeft);
          if (consumed > limit) throw result;
          return result;
        },
        () => insurance.consume(key, points),
      );
    },
    reward(key, points) {
      if (!Number.isInteger(points)) return insurance.reward(key, points);
      return charge(key, -points).then(
        ({ consumed, msLeft }) => resultOf(consumed, msLeft),
        () => insurance.reward(key, points),
      );
    },
  };
}
