import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import type { KeyValueStore, ScoreIncrement, ScoredMember } from "./key-value-store.js";
import type { Logger } from "../logging/logger.js";

export interface RedisKeyValueStoreOptions {
  /** How long the first connection may take before `connect` rejects. */
  connectTimeoutMs?: number;
  /** A command Redis has not answered by then rejects (a hung server, a silent network). */
  commandTimeoutMs?: number;
  /** Told when Redis becomes unavailable and available again, once per outage. */
  logger?: Logger;
}

/** Deletes the key only while it holds the caller's value (the lock owner's token). */
const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const EXTEND_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** INCRBY that sets the TTL only when this call created the counter. */
const INCREMENT = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value`;

/**
 * ZINCRBY on every key, once per mark when ARGV[1] is '1' (KEYS[1] is then the mark, kept
 * ARGV[2] ms). Each increment is three ARGV after the first two: member, by, TTL on creation.
 * Types are checked before anything is written, because Redis does not undo the writes of a
 * script that fails half way.
 */
const INCREMENT_SCORES = `
local first = 1
if ARGV[1] == '1' then first = 2 end
for i = first, #KEYS do
  local kind = redis.call('TYPE', KEYS[i]).ok
  if kind ~= 'zset' and kind ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is not a sorted set')
  end
end
if first == 2 and not redis.call('SET', KEYS[1], '1', 'PX', ARGV[2], 'NX') then return 0 end
local a = 3
for i = first, #KEYS do
  local created = redis.call('EXISTS', KEYS[i]) == 0
  redis.call('ZINCRBY', KEYS[i], ARGV[a + 1], ARGV[a])
  if created and tonumber(ARGV[a + 2]) > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[a + 2]) end
  a = a + 3
end
return 1`;

/** Sums the sets KEYS[2..] into the scratch key KEYS[1], reads its top ARGV[1], drops it. */
const TOP_SCORES = `
redis.call('ZUNIONSTORE', KEYS[1], #KEYS - 1, unpack(KEYS, 2))
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
redis.call('DEL', KEYS[1])
return top`;

/** SET KEYS[1] ARGV[1] PX ARGV[2] unless it holds a number at least as large; returns what it holds. */
const RAISE_TO = `
local current = tonumber(redis.call('GET', KEYS[1]))
local wanted = tonumber(ARGV[1])
if current ~= nil and current >= wanted then
  return tostring(current)
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

/** The scripts above, as ioredis exposes them once defined (EVALSHA, EVAL on a cache miss). */
interface StoreScripts {
  kvDeleteIfEquals(key: string, expected: string): Promise<number>;
  kvExtendIfEquals(key: string, expected: string, ttlMs: number): Promise<number>;
  kvIncrement(key: string, by: number, ttlMs: number): Promise<number>;
  kvRaiseTo(key: string, value: number, ttlMs: number): Promise<string>;
  kvIncrementScores(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  kvTopScores(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<string[]>;
}

/**
 * The key-value store on Redis. Each operation is one command or one Lua script, so it is
 * atomic on the server whatever the number of processes.
 *
 * It fails fast: while Redis is unreachable every call rejects at once instead of waiting
 * for a reconnection, because callers have a fallback (inventory reads Postgres) and a
 * request queued behind an outage would only time out later. Hence no offline queue, no
 * replay of a command whose connection dropped (replaying INCRBY could count twice), and
 * a command timeout for a server that accepts connections but does not answer, whose
 * connection is then closed so the next commands do not wait on it too. The client
 * keeps reconnecting in the background, so the store recovers by itself.
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly engine = "redis";
  /** The connection, for modules that define their own scripts on it. */
  readonly client: Redis;
  private readonly connectTimeoutMs: number;
  private unavailable = false;

  /** Starts connecting at once; commands reject until the connection is ready (see `connect`). */
  constructor(url: string, { connectTimeoutMs = 2_000, commandTimeoutMs = 1_000, logger }: RedisKeyValueStoreOptions = {}) {
    this.connectTimeoutMs = connectTimeoutMs;
    this.client = new Redis(url, {
      connectTimeout: connectTimeoutMs,
      commandTimeout: commandTimeoutMs,
      // A connection that leaves a command unanswered this long is closed and made again. The
      // command timeout alone kept it: while Redis stalled (accepting, answering nothing) every
      // gateway request waited out a timeout per budget it charged, 2-3 s each, for as long as
      // the stall lasted. Closed, the connection refuses commands at once until a new one is
      // ready, and the rate limiters count in memory meanwhile.
      socketTimeout: commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // The replies every script and limiter here was written against; RESP3 (ioredis 6's
      // default) adds a handshake round trip and a registration command to every connection.
      protocol: 2,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
      // ioredis waits this long for a socket to close on disconnect, even one that never
      // opened; its 2 s default holds a process open after closing during an outage.
      disconnectTimeout: 200,
    });
    this.client.defineCommand("kvDeleteIfEquals", { numberOfKeys: 1, lua: DELETE_IF_EQUALS });
    this.client.defineCommand("kvExtendIfEquals", { numberOfKeys: 1, lua: EXTEND_IF_EQUALS });
    this.client.defineCommand("kvIncrement", { numberOfKeys: 1, lua: INCREMENT });
    this.client.defineCommand("kvRaiseTo", { numberOfKeys: 1, lua: RAISE_TO });
    this.client.defineCommand("kvIncrementScores", { lua: INCREMENT_SCORES });
    this.client.defineCommand("kvTopScores", { lua: TOP_SCORES });
    // Without a listener ioredis prints every connection error to the console.
    this.client.on("error", (error: Error) => {
      if (this.unavailable) return;
      this.unavailable = true;
      logger?.warn("redis_unavailable", { error: error.message });
    });
    this.client.on("ready", () => {
      if (this.unavailable) logger?.info("redis_available");
      this.unavailable = false;
    });
  }

  /**
   * Waits until the connection is ready. Rejects on the next failed attempt, or when none
   * succeeds within the connect timeout; the client keeps trying in the background either way.
   */
  async connect(): Promise<void> {
    const client = this.client;
    if (client.status === "ready") return;
    if (client.status === "end") throw new Error("The Redis connection is closed");
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        client.off("ready", onReady).off("error", onError).off("end", onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      const onError = (error: Error) => settle(error);
      const onEnd = () => settle(new Error("The Redis connection is closed"));
      const timer = setTimeout(() => settle(new Error(`Redis was not ready within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      client.on("ready", onReady).on("error", onError).on("end", onEnd);
    });
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.client.mget(...keys);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs) await this.client.set(key, value, "PX", ttlMs);
    else await this.client.set(key, value);
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.client.del(...keys);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, "PX", ttlMs, "NX")) === "OK";
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    return (await this.scripts.kvDeleteIfEquals(key, expected)) === 1;
  }

  async extendIfEquals(key: string, expected: string, ttlMs: number): Promise<boolean> {
    return (await this.scripts.kvExtendIfEquals(key, expected, ttlMs)) === 1;
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<number> {
    return Number(await this.scripts.kvRaiseTo(key, value, ttlMs));
  }

  async increment(key: string, by: number, ttlMs?: number): Promise<number> {
    return Number(await this.scripts.kvIncrement(key, by, ttlMs ?? 0));
  }

  async incrementScores(increments: readonly ScoreIncrement[], once?: { key: string; ttlMs: number }): Promise<boolean> {
    if (increments.length === 0) return once ? this.setIfAbsent(once.key, "1", once.ttlMs) : true;
    const keys = [...(once ? [once.key] : []), ...increments.map((each) => each.key)];
    const args = [once ? "1" : "0", once?.ttlMs ?? 0, ...increments.flatMap(({ member, by, ttlMs }) => [member, by, ttlMs ?? 0])];
    return (await this.scripts.kvIncrementScores(keys.length, ...keys, ...args)) === 1;
  }

  async topScores(keys: readonly string[], count: number): Promise<ScoredMember[]> {
    const distinct = [...new Set(keys)];
    if (distinct.length === 0 || count <= 0) return [];
    // A scratch key per call: concurrent readers never see each other's half-built union.
    const scratch = `kv:top-scores:${randomUUID()}`;
    const flat = await this.scripts.kvTopScores(distinct.length + 1, scratch, ...distinct, Math.floor(count));
    const top: ScoredMember[] = [];
    for (let i = 0; i < flat.length; i += 2) top.push({ member: flat[i]!, score: Number(flat[i + 1]) });
    return top;
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through: drop the connection without the goodbye.
      }
    }
    this.client.disconnect();
  }

  private get scripts(): StoreScripts {
    return this.client as unknown as StoreScripts;
  }
}
