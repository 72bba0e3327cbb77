import type { Redis } from "ioredis";
import { inParallel } from "#kernel/runtime/in-parallel.ts";
import type { StockItem } from "../domain/stock.js";
import { ADMISSION_MEMORY_MS, DEFAULT_REBUILD_LEASE_MS, pagesOf, type CacheReserveOutcome, type CounterLevels, type StockCache } from "../ports/stock-cache.js";

/** Lua's stack takes about 8,000 values at once; the scripts unpack fewer. */
const UNPACK_LIMIT = 4_000;

// Every fenced script gets the epoch as ARGV[1] and changes nothing unless it is current: the
// fence that keeps late or stale commands out of a rebuilt mirror. The marker is KEYS[1];
// scripts that take part in a rebuild get its keys next (see PHASE), then counters,
// with their numbers in the ARGV that follow.

/** The engine's clock in ms: one clock for every process that records or judges an admission. */
const NOW_MS = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * Checks every item, then decrements all of them: all or nothing, never below zero. KEYS[2]
 * remembers the reservation id it admitted for ARGV[2] ms; a short answer says whether it is
 * there. KEYS[3] records the admission (ARGV[1] and the token ARGV[3]) at the engine's time
 * until it is settled. Counters are KEYS[4..], their quantities ARGV[4..].
 */
const RESERVE = `
local marker = redis.call('GET', KEYS[1])
if marker ~= ARGV[1] then return {'stale', marker or ''} end
for i = 4, #KEYS do
  local available = redis.call('GET', KEYS[i])
  if not available then return {'missing', i - 3} end
  if tonumber(available) < tonumber(ARGV[i]) then return {'short', i - 3, tonumber(available), redis.call('EXISTS', KEYS[2])} end
end
for i = 4, #KEYS do redis.call('DECRBY', KEYS[i], ARGV[i]) end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
${NOW_MS}
redis.call('ZADD', KEYS[3], now, ARGV[1] .. ' ' .. ARGV[3])
return {'reserved'}`;

/**
 * Records a give-back (the token ARGV[1]) in KEYS[3] at the engine's time, as RESERVE records an
 * admission, at the marker's epoch (KEYS[1]) or else the rebuild's under way (KEYS[2]); returns
 * that epoch, or false when there is neither.
 */
const EXPECT = `
local epoch = redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])
if not epoch then return false end
${NOW_MS}
redis.call('ZADD', KEYS[3], now, epoch .. ' ' .. ARGV[1])
return epoch`;

/**
 * Counts the admissions (KEYS[2]) recorded at least ARGV[1] ms ago at the marker's epoch
 * (KEYS[1]), and drops the old ones of any other epoch. Epoch and token are split at the last
 * space: tokens have none.
 */
const UNSETTLED = `
${NOW_MS}
local marker = redis.call('GET', KEYS[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, 1000)
local unsettled, moot = 0, {}
for _, member in ipairs(old) do
  if marker and string.match(member, '^(.*) ') == marker then unsettled = unsettled + 1 else moot[#moot + 1] = member end
end
if #moot > 0 then redis.call('ZREM', KEYS[2], unpack(moot)) end
return unsettled`;

/**
 * KEYS[1..5]: marker, the rebuild under way (its epoch, with a lease), the same epoch once its
 * old counters are gone and it writes new ones, deltas kept for counters not written yet, and
 * counters loaded for variants new since its snapshot. Sets \`phase\` to 'live' (the marker is
 * ARGV[1]), 'clearing', 'filling', or nil. A rebuild's begin drops the marker, so a marker
 * present during it was set by a rebuild begun later (one from a build before rebuilds kept
 * deltas, during a rolling update): the rebuild then writes nothing more.
 */
const PHASE = `
local phase = nil
local marker = redis.call('GET', KEYS[1])
if marker == ARGV[1] then phase = 'live'
elseif not marker and redis.call('GET', KEYS[2]) == ARGV[1] then
  if redis.call('GET', KEYS[3]) == ARGV[1] then phase = 'filling' else phase = 'clearing' end
end`;

/**
 * Adds deltas to the counters that exist (a missing one is rebuilt, never guessed). During a
 * rebuild at this epoch, a delta for a counter it has not written yet is kept for it.
 */
const ADJUST = `${PHASE}
if not phase then return 0 end
for i = 6, #KEYS do
  if phase ~= 'clearing' and redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[i - 4])
  elseif phase ~= 'live' then redis.call('HINCRBY', KEYS[4], KEYS[i], ARGV[i - 4]) end
end
return 1`;

/** Sets the counters of variants new to the ledger; during a rebuild, for it to write. */
const LOAD = `${PHASE}
if not phase then return 0 end
for i = 6, #KEYS do
  if phase == 'live' then redis.call('SET', KEYS[i], ARGV[i - 4]) else redis.call('HSET', KEYS[5], KEYS[i], ARGV[i - 4]) end
end
return 1`;

/**
 * The id of this run of the server: a restart makes a new one, even one that restored the data
 * of the old run from a snapshot (which lacks the writes made after it).
 */
const RUN_ID = `local runId = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')`;

/**
 * Takes any rebuild over: no marker, no completion (KEYS[6]), nothing kept, this epoch under a
 * lease. ARGV: epoch, lease ms.
 */
const BEGIN_REBUILD = `
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Unlinks old counters (KEYS[6..]) while the rebuild is still this one, renewing its lease. */
const CLEAR = `${PHASE}
if phase ~= 'clearing' then return 0 end
for i = 6, #KEYS, ${UNPACK_LIMIT} do redis.call('UNLINK', unpack(KEYS, i, math.min(i + ${UNPACK_LIMIT - 1}, #KEYS))) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/** Renews the lease of the rebuild at ARGV[1] (KEYS[1]) if it is still the one under way. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** The old counters are gone: from here a counter that exists is one this rebuild wrote. */
const START_FILLING = `${PHASE}
if phase ~= 'clearing' then return 0 end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/**
 * Writes snapshot counters (KEYS[6..], ARGV[3..]) plus the deltas kept for them, in a few
 * commands whatever the chunk's size (one call a key took twice as long at 1.4M counters).
 */
const FILL = `${PHASE}
if phase ~= 'filling' then return 0 end
local counters = {unpack(KEYS, 6)}
local kept = redis.call('HMGET', KEYS[4], unpack(counters))
local writes, applied = {}, {}
for i, counter in ipairs(counters) do
  local available = tonumber(ARGV[i + 2])
  if kept[i] then
    available = available + tonumber(kept[i])
    applied[#applied + 1] = counter
  end
  writes[#writes + 1] = counter
  writes[#writes + 1] = available
end
redis.call('MSET', unpack(writes))
if #applied > 0 then redis.call('HDEL', KEYS[4], unpack(applied)) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/**
 * Writes the variants loaded during the rebuild (with their deltas), drops deltas for variants
 * it neither had nor loaded, and sets the marker, and beside it the completion (KEYS[6]): the
 * epoch and the server's run, which vouch that every write since is in this server's memory.
 * The loaded counters' names come from the hash rather than KEYS: this runs on one Redis,
 * never a cluster.
 */
const FINISH_REBUILD = `${PHASE}
if phase ~= 'filling' then return 0 end
local loaded = redis.call('HGETALL', KEYS[5])
for i = 1, #loaded, 2 do
  local available = tonumber(loaded[i + 1])
  local kept = redis.call('HGET', KEYS[4], loaded[i])
  if kept then available = available + tonumber(kept) end
  redis.call('SET', loaded[i], available)
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('SET', KEYS[1], ARGV[1])
${RUN_ID}
redis.call('SET', KEYS[6], ARGV[1] .. ' ' .. runId)
return 1`;

/**
 * The marker (KEYS[1]) when the completion (KEYS[2]) names it and this run of the server;
 * false otherwise: no rebuild finished, one began since, an older build's rebuild set the
 * marker (it writes no completion), or the server restarted since (restored or not).
 */
const COMPLETED = `
local marker = redis.call('GET', KEYS[1])
if not marker then return false end
${RUN_ID}
if redis.call('GET', KEYS[2]) ~= marker .. ' ' .. runId then return false end
return marker`;

type ScriptReply = [string, (string | number)?, number?, number?];
type Script = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<number>;

interface StockScripts {
  stockReserve(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<ScriptReply>;
  stockExpect(numberOfKeys: number, ...keysThenArgs: string[]): Promise<string | null>;
  stockCompleted(numberOfKeys: number, ...keys: string[]): Promise<string | null>;
  stockUnsettled: Script;
  stockAdjust: Script;
  stockLoad: Script;
  stockBeginRebuild: Script;
  stockClear: Script;
  stockRenew: Script;
  stockStartFilling: Script;
  stockFill: Script;
  stockFinishRebuild: Script;
}

const WRITE_CHUNK = 1_000;
/**
 * The rebuild's Redis side keeps several commands in flight rather than one round trip at a
 * time: at a million products (1.4M counters) one at a time took 4.5 s into an empty database
 * and 8.5 s over a full one.
 */
const SCAN_COUNT = 10_000;
const WRITES_IN_FLIGHT = 16;

/**
 * The stock mirror on Redis: counters `{namespace}stock:{variantId}`, the epoch marker
 * `{namespace}stock-epoch`, the last finished rebuild and the server run it finished on
 * `{namespace}stock-complete`, and while a rebuild runs `{namespace}stock-rebuild*`. The
 * namespace keeps two databases that share one Redis (test databases, staging) from ever
 * mixing counters. Runs on a connection it does not own (the process's key-value store), so
 * `close` leaves the connection open.
 */
export class RedisStockCache implements StockCache {
  readonly engine = "redis";
  private readonly prefix: string;
  private readonly markerKey: string;
  /** Admissions not settled yet, scored by the engine's time when they were made. */
  private readonly admissionsKey: string;
  /** Marker, rebuild, filling, kept deltas, loaded counters: the PHASE layout of the scripts. */
  private readonly rebuildKeys: readonly string[];
  /** The epoch and server run of the last rebuild that finished (see COMPLETED). */
  private readonly completionKey: string;
  private readonly leaseMs: number;
  private sessionNumber: number;
  /** Admissions settled in this turn, not sent yet (see settleAdmission). */
  private settling: { members: string[]; sent: Promise<void> } | undefined;
  private readonly onReady = () => {
    this.sessionNumber += 1;
  };

  constructor(
    private readonly client: Redis,
    options: { namespace: string; rebuildLeaseMs?: number },
  ) {
    if (!/^[A-Za-z0-9_.:-]*$/.test(options.namespace)) throw new Error(`Invalid stock cache namespace ${options.namespace}`);
    this.prefix = options.namespace;
    this.markerKey = `${this.prefix}stock-epoch`;
    this.admissionsKey = `${this.prefix}stock-admissions`;
    const rebuild = `${this.prefix}stock-rebuild`;
    this.rebuildKeys = [this.markerKey, rebuild, `${rebuild}-filling`, `${rebuild}-deltas`, `${rebuild}-loaded`];
    this.completionKey = `${this.prefix}stock-complete`;
    this.leaseMs = options.rebuildLeaseMs ?? DEFAULT_REBUILD_LEASE_MS;
    client.defineCommand("stockReserve", { lua: RESERVE });
    client.defineCommand("stockExpect", { lua: EXPECT });
    client.defineCommand("stockCompleted", { lua: COMPLETED });
    client.defineCommand("stockUnsettled", { lua: UNSETTLED });
    client.defineCommand("stockAdjust", { lua: ADJUST });
    client.defineCommand("stockLoad", { lua: LOAD });
    client.defineCommand("stockBeginRebuild", { lua: BEGIN_REBUILD });
    client.defineCommand("stockClear", { lua: CLEAR });
    client.defineCommand("stockRenew", { lua: RENEW });
    client.defineCommand("stockStartFilling", { lua: START_FILLING });
    client.defineCommand("stockFill", { lua: FILL });
    client.defineCommand("stockFinishRebuild", { lua: FINISH_REBUILD });
    // Each (re)connection is a new session: the server may have restarted, empty or not.
    this.sessionNumber = client.status === "ready" ? 1 : 0;
    client.on("ready", this.onReady);
  }

  session(): number {
    return this.sessionNumber;
  }

  async reserve(epoch: string, reservationId: string, items: readonly StockItem[], token: string): Promise<CacheReserveOutcome> {
    if (/\s/.test(token)) throw new Error("An admission token has no spaces");
    const [kind, index, available, admittedBefore] = await this.scripts.stockReserve(
      items.length + 3,
      this.markerKey,
      `${this.prefix}stock-admitted:${reservationId}`,
      this.admissionsKey,
      ...items.map((item) => this.key(item.variantId)),
      epoch,
      ADMISSION_MEMORY_MS,
      token,
      ...items.map((item) => item.quantity),
    );
    const variantId = () => items[Number(index) - 1]!.variantId;
    switch (kind) {
      case "reserved":
        return { kind };
      case "stale":
        return { kind, epoch: index ? String(index) : null };
      case "missing":
        return { kind, variantId: variantId() };
      case "short":
        return { kind, variantId: variantId(), available: Number(available), admittedBefore: Number(admittedBefore) === 1 };
      default:
        throw new Error(`Unexpected reply from the reserve script: ${String(kind)}`);
    }
  }

  async expectGiveBack(token: string): Promise<string | null> {
    if (/\s/.test(token)) throw new Error("A give-back token has no spaces");
    return (await this.scripts.stockExpect(3, this.markerKey, this.rebuildKeys[1]!, this.admissionsKey, token)) ?? null;
  }

  /**
   * The admissions settled during one turn of the event loop (every ledger answer the poll
   * phase brought, each a checkout's) leave in one ZREM, sent once the turn's callbacks ran:
   * one round trip and one socket write instead of one each. A member gone already (settled
   * twice, cleared by a rebuild) is no error, as for ZREM alone.
   */
  settleAdmission(epoch: string, token: string): Promise<void> {
    if (!this.settling) {
      const batch = { members: [] as string[], sent: Promise.resolve() };
      batch.sent = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        if (this.settling === batch) this.settling = undefined;
        await this.client.zrem(this.admissionsKey, ...batch.members);
      });
      this.settling = batch;
    }
    this.settling.members.push(`${epoch} ${token}`);
    return this.settling.sent;
  }

  async unsettledAdmissions(olderThanMs: number): Promise<number> {
    return this.scripts.stockUnsettled(2, this.markerKey, this.admissionsKey, olderThanMs);
  }

  async adjust(epoch: string, deltas: readonly { variantId: string; delta: number }[]): Promise<boolean> {
    if (deltas.length === 0) return true;
    return (await this.withRebuildKeys(this.scripts.stockAdjust, deltas.map((d) => this.key(d.variantId)), [epoch, ...deltas.map((d) => d.delta)])) === 1;
  }

  async load(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<boolean> {
    let applied = true;
    for (const chunk of chunked(levels)) {
      const done = await this.withRebuildKeys(this.scripts.stockLoad, chunk.map((l) => this.key(l.variantId)), [epoch, ...chunk.map((l) => l.available)]);
      applied &&= done === 1;
    }
    return applied;
  }

  async read(variantIds: readonly string[]): Promise<{ epoch: string | null; rebuilding: string | null; available: (number | null)[] }> {
    // One MGET: the marker, the rebuild and the counters as of the same instant.
    const [marker, rebuilding, ...values] = await this.client.mget(this.markerKey, this.rebuildKeys[1]!, ...variantIds.map((id) => this.key(id)));
    return { epoch: marker ?? null, rebuilding: rebuilding ?? null, available: values.map((value) => (value === null ? null : Number(value))) };
  }

  async completedEpoch(): Promise<string | null> {
    return (await this.scripts.stockCompleted(2, this.markerKey, this.completionKey)) ?? null;
  }

  async beginRebuild(epoch: string): Promise<void> {
    await this.withRebuildKeys(this.scripts.stockBeginRebuild, [this.completionKey], [epoch, this.leaseMs]);
  }

  async renewRebuild(epoch: string): Promise<boolean> {
    return (await this.scripts.stockRenew(1, this.rebuildKeys[1]!, epoch, this.leaseMs)) === 1;
  }

  async fillRebuild(epoch: string, levels: CounterLevels, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted || !(await this.clearOldCounters(epoch))) return false;
    if ((await this.withRebuildKeys(this.scripts.stockStartFilling, [], [epoch, this.leaseMs])) !== 1) return false;
    for await (const page of pagesOf(levels)) {
      const written = await inParallel(chunked(page), WRITES_IN_FLIGHT, async (chunk) =>
        signal?.aborted ? 0 : this.withRebuildKeys(this.scripts.stockFill, chunk.map((l) => this.key(l.variantId)), [epoch, this.leaseMs, ...chunk.map((l) => l.available)]),
      );
      if (signal?.aborted || written.some((done) => done !== 1)) return false;
    }
    return (await this.withRebuildKeys(this.scripts.stockFinishRebuild, [this.completionKey], [epoch])) === 1;
  }

  async close(): Promise<void> {
    this.client.off("ready", this.onReady);
  }

  /**
   * Unlinks every counter, batch by batch as the scan goes on (a scan returns every key present
   * for its whole length, and keys it already returned being removed does not change that).
   * Each batch first checks the rebuild is still this one, so a loader that was taken over
   * never removes the counters of the one that took over.
   */
  private async clearOldCounters(epoch: string): Promise<boolean> {
    const batches: Promise<number>[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.client.scan(cursor, "MATCH", `${this.prefix}stock:*`, "COUNT", SCAN_COUNT);
      batches.push(this.withRebuildKeys(this.scripts.stockClear, keys, [epoch, this.leaseMs]));
      cursor = next;
    } while (cursor !== "0");
    return (await Promise.all(batches)).every((done) => done === 1);
  }

  private withRebuildKeys(script: Script, counters: readonly string[], args: readonly (string | number)[]): Promise<number> {
    return script.call(this.client, this.rebuildKeys.length + counters.length, ...this.rebuildKeys, ...counters, ...args);
  }

  private key(variantId: string): string {
    return `${this.prefix}stock:${variantId}`;
  }

  private get scripts(): StockScripts {
    return this.client as unknown as StockScripts;
  }
}

function chunked<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += WRITE_CHUNK) chunks.push(items.slice(i, i + WRITE_CHUNK));
  return chunks;
}
