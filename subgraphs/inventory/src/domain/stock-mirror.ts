import { randomUUID } from "node:crypto";
import type { Logger, StockMirrorState } from "#kernel";
import { DEFAULT_REBUILD_LEASE_MS, UNSETTLED_ADMISSION_MS, type StockCache } from "../ports/stock-cache.js";
import type { LedgerChange, StockLedger } from "../ports/stock-ledger.js";
import type { StockItem, StockLevel } from "./stock.js";

/** What the mirror says about a reservation before the ledger is asked. */
export type Admission =
  /**
   * The mirror took the units at this epoch; the ledger must now confirm or they are given
   * back, and either way the admission is then settled (`token` names it in the mirror).
   */
  | { kind: "admitted"; epoch: string; token: string }
  /**
   * The mirror (trusted, at its current epoch) has too few units. `admittedBefore`: it admitted
   * this reservation id lately, whose ledger write may not have landed yet.
   */
  | { kind: "short"; variantId: string; available: number; admittedBefore: boolean }
  /** No usable answer: ask the ledger alone. `missingVariantId` names a counter the mirror lacked. */
  | { kind: "bypass"; missingVariantId?: string };

/** An admission as the mirror recorded it. */
export type AdmittedAt = Extract<Admission, { kind: "admitted" }>;

/** A give-back recorded in the mirror before its ledger write (see `expectGiveBack`). */
export interface ExpectedGiveBack {
  epoch: string;
  token: string;
}

/** How often a rebuild renews its lease on the mirror: several times a lease. */
const RENEW_EVERY_MS = DEFAULT_REBUILD_LEASE_MS / 5;

/** The longest a rebuild renews its lease for (a stop-the-world rebuild's old transaction timeout). */
const MAX_REBUILD_MS = 120_000;

/** How often a process looks for admissions that never got their outcome. */
const ADMISSION_CHECK_EVERY_MS = 5_000;

/**
 * How often a process looks in the ledger for a doubt of the epoch it trusts. A live doubter
 * moves the epoch within moments (its rebuild begins once the doubt is recorded), so a doubt
 * found on two checks in a row is a stopped process's.
 */
const DOUBT_CHECK_EVERY_MS = 5_000;

/** How often a process looks again at a rebuild another process is filling. */
const WAIT_FOR_OTHER_MS = 100;

/** Whether the mirror is trusted, at which epoch, and its counts (exported as metrics). */
export type MirrorStatus = StockMirrorState;

/**
 * Decides when this process may trust the Redis mirror, and keeps it equal to the ledger.
 * See the invariants at the top of inventory.service.ts. In short, the mirror is trusted
 * only after this process rebuilt it, or found it provably current (see `currentMirror`),
 * on the same connection session, with no doubt raised since; any write whose outcome is
 * unknown raises a doubt, and a doubt is only ever cleared by a rebuild from the ledger.
 */
export interface StockMirrorOptions {
  /** How often the mirror is checked for a due rebuild. */
  checkEveryMs?: number;
  renewEveryMs?: number;
  /** How old an admission without its outcome must be to count as its process's crash (see UNSETTLED_ADMISSION_MS). */
  unsettledAfterMs?: number;
  /** How often the mirror is searched for such admissions. */
  admissionCheckEveryMs?: number;
  /** How often the ledger is asked whether another process doubted the trusted epoch. */
  doubtCheckEveryMs?: number;
}

export function createStockMirror(deps: { cache: StockCache; ledger: StockLedger; logger: Logger } & StockMirrorOptions) {
  const { cache, ledger, logger } = deps;
  let epoch: string | null = null;
  let verifiedSession = Number.NaN;
  let doubts = 0;
  let clearedDoubts = 0;
  let rebuilding: Promise<void> | undefined;
  /** Stops this process's rebuild under way at its next page or chunk (see `stop`). */
  const stopping = new AbortController();
  /** The epoch this process's own rebuild fills, while it does. */
  let filling: string | undefined;
  /** The ledger's epoch as read after `doubts` doubts: only a rebuild since covers them. */
  let baseline: { epoch: string; doubts: number } | undefined;
  let failures = 0;
  let retryAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let admissionTimer: NodeJS.Timeout | undefined;
  let checkingAdmissions = false;
  let doubtTimer: NodeJS.Timeout | undefined;
  let checkingDoubts = false;
  /** The trusted epoch the last doubt check found doubted, if it did. */
  let foundDoubted: string | undefined;
  /** This spell's doubt on its way to the ledger (or there) and its epoch, until a rebuild or adoption. */
  let recordedDoubt: { at: string | null; done: Promise<void> } | undefined;
  /**
   * Every doubt record still on its way. Our own rebuild waits for them before it moves the
   * epoch: a record without a known epoch is about the current one, and must not land on ours.
   */
  let recordsInFlight: Promise<unknown> = Promise.resolve();
  /** Until `start`, the mirror is never rebuilt: every reservation and read goes to the ledger alone. */
  let started = false;
  let stopped = false;
  const counts = { admitted: 0, bypassed: 0, rebuilds: 0, adopted: 0 };

  function trustedEpoch(): string | null {
    return epoch !== null && verifiedSession === cache.session() && clearedDoubts === doubts ? epoch : null;
  }

  /** Starts a rebuild when one is due and none runs; never waits for it. */
  function refresh(): void {
    if (!started || stopped || rebuilding || trustedEpoch() !== null || Date.now() < retryAt) return;
    rebuilding = rebuild().finally(() => {
      rebuilding = undefined;
      // Doubts raised while it ran were not covered by its snapshot: go again.
      refresh();
    });
  }

  /**
   * The epoch of a mirror that is provably as good as one this process would rebuild now, or
   * null. Each clause closes one way a mirror goes wrong:
   * - the engine vouches that the rebuild at that epoch finished and that nothing written
   *   since was lost (killed mid-rebuild: no completion; restarted or flushed: none, or one of
   *   another run of the server; an older snapshot restored: the same);
   * - it is the ledger's current epoch, read under the fence every change reads it under, so
   *   every change since the snapshot reported it and was counted in by its epoch fence;
   * - no admission or give-back at that epoch has gone without its outcome for as long as
   *   only a stopped process leaves one (a process killed between the mirror and the ledger
   *   left its units out of the counters: `checkAdmissions`' rule, applied before trusting
   *   rather than after); a younger one is a live process's, or is caught by that rule later;
   * - no doubt of this process is outstanding that the rebuild did not come after: a write
   *   of ours whose outcome is unknown is only covered by a snapshot taken since (an epoch
   *   other than the ledger's as read after the doubt).
   * What a write with an unknown outcome can leave in the counters is either recorded with it
   * (an admission, a give-back: found by the third clause) or more units than the ledger has,
   * which the ledger refuses: never a sale it should not make;
   * - no process recorded a doubt at that epoch in the ledger: a give-back whose record and
   *   adjust both failed leaves nothing in the mirror to find, and its process, killed before
   *   its own rebuild began, would take its doubt with it (see `doubt`).
   */
  async function currentMirror(doubtsBefore: number, against: { epoch: string }): Promise<string | null> {
    const complete = await cache.completedEpoch();
    if (complete === null) return null;
    if (doubtsBefore !== clearedDoubts && complete === against.epoch) return null;
    if (complete !== (await ledger.currentEpoch())) return null;
    if (await ledger.isDoubted(complete)) return null;
    if ((await cache.unsettledAdmissions(deps.unsettledAfterMs ?? UNSETTLED_ADMISSION_MS)) > 0) return null;
    return complete;
  }

  /**
   * Makes the mirror trusted again: adopts a mirror that is provably current (at a start, a
   * rolling restart turns no process's fast path off), waits for another process's rebuild
   * under way, or rebuilds.
   */
  async function rebuild(): Promise<void> {
    let renewing: NodeJS.Timeout | undefined;
    const session = cache.session();
    const doubtsBefore = doubts;
    /**
     * The doubts our own rebuild covers: every one raised before its epoch exists. A write in
     * doubt was made at an older epoch, and the fill replaces every counter of those (a late
     * landing of the write is fenced out), so only a doubt raised after `begin` is left over.
     */
    let doubtsCovered = doubtsBefore;
    try {
      // Probe first: a rebuild holds every stock change back for a moment, so never start one
      // that an unreachable cache would only make wait for a timeout.
      const probe = await cache.read([]);
      if (baseline?.doubts !== doubtsBefore) baseline = { epoch: await ledger.currentEpoch(), doubts: doubtsBefore };
      const current = probe.epoch === null ? null : await currentMirror(doubtsBefore, baseline);
      if (current !== null) {
        trust(current, session, doubtsBefore);
        counts.adopted += 1;
        logger.info("stock mirror adopted: it is complete at the ledger's current epoch", { epoch: current, engine: cache.engine });
        return;
      }
      // Another process fills the mirror: rebuilding now would take that over and be taken
      // over in turn. Its end is adopted (or, not current for us, followed by our own rebuild).
      if (probe.rebuilding !== null && probe.rebuilding !== filling) {
        retryAt = Date.now() + WAIT_FOR_OTHER_MS;
        return;
      }
      await recordsInFlight;
      const next = await ledger.rebuildMirror({
        signal: stopping.signal,
        begin: async (newEpoch) => {
          doubtsCovered = doubts;
          filling = newEpoch;
          await cache.beginRebuild(newEpoch);
          // Reading every level can outlast the lease at a large enough catalog: keep it, or
          // the other processes would take the rebuild over, and then each other's.
          // Not past the longest a rebuild may take, though: one that hangs must not hold the
          // other processes off the mirror for good.
          const renewUntil = Date.now() + MAX_REBUILD_MS;
          renewing = setInterval(() => {
            if (Date.now() > renewUntil) clearInterval(renewing);
            else void cache.renewRebuild(newEpoch).catch(() => undefined);
          }, deps.renewEveryMs ?? RENEW_EVERY_MS);
          renewing.unref();
        },
        fill: async (newEpoch, levels) => {
          if (!(await cache.fillRebuild(newEpoch, levels, stopping.signal))) {
            throw new Error(stopping.signal.aborted ? "stopped" : "another rebuild took the mirror over");
          }
        },
      });
      trust(next, session, doubtsCovered);
      failures = 0;
      retryAt = 0;
      counts.rebuilds += 1;
      logger.info("stock mirror rebuilt", { epoch: next, engine: cache.engine });
    } catch (error) {
      // A stop ends it on purpose: its lease lapses as a crashed one's would.
      if (stopped) return;
      failures += 1;
      retryAt = Date.now() + Math.min(100 * 2 ** failures, 5_000);
      if (failures === 1 || failures % 20 === 0) {
        logger.warn("stock mirror rebuild failed; reservations use the ledger alone until it succeeds", { error: String(error), failures });
      }
    } finally {
      filling = undefined;
      clearInterval(renewing);
    }
  }

  function trust(at: string, session: number, doubtsCovered: number): void {
    recordedDoubt = undefined;
    epoch = at;
    verifiedSession = session;
    clearedDoubts = doubtsCovered;
    baseline = { epoch: at, doubts: doubtsCovered };
  }

  /**
   * The outcome of a mirror write at epoch `at` is unknown: distrust the mirror until it is
   * rebuilt. The doubt is also recorded in the ledger against that epoch (once per epoch until
   * the next rebuild: an outage doubts every call), so a process killed before its rebuild
   * began leaves it to the next one that starts. A rebuild that replaced `at` meanwhile makes
   * the record moot (the write is fenced out of the new epoch), and none is kept.
   */
  function doubtAt(at: string | null, reason: string, error?: unknown): void {
    if (recordedDoubt === undefined || recordedDoubt.at !== at) {
      const record: { at: string | null; done: Promise<void> } = {
        at,
        done: ledger.recordDoubt(at ?? undefined).catch(() => {
          // The ledger unreachable too: the next doubt tries again.
          if (recordedDoubt === record) recordedDoubt = undefined;
        }),
      };
      recordedDoubt = record;
      recordsInFlight = Promise.all([recordsInFlight, record.done]);
    }
    doubts += 1;
    // Once per spell (an outage fails every call), then a reminder every thousand doubts.
    const spell = doubts - clearedDoubts;
    if (spell === 1 || spell % 1000 === 0) {
      logger.warn("stock mirror in doubt; rebuilding it from the ledger", { reason, error: error === undefined ? undefined : String(error), doubts: spell });
    }
    refresh();
  }

  /** A doubt about this process's own writes whose epoch is not known: the one it last verified. */
  function doubt(reason: string, error?: unknown): void {
    doubtAt(epoch, reason, error);
  }

  /**
   * The mirror carries another marker than the one we verified. If it is the ledger's current
   * epoch, another process rebuilt it since and it is as good as ours; anything else (no
   * marker, or one the ledger does not know) is distrusted until we rebuild.
   */
  async function adopt(from: string, to: string | null): Promise<void> {
    const current = to === null ? null : await ledger.currentEpoch().catch(() => null);
    if (epoch !== from) return;
    epoch = to !== null && to === current ? to : null;
    if (epoch === null) refresh();
  }

  /** The admission's units are accounted for: the ledger answered and the mirror holds its answer. */
  async function settleAdmission(admission: AdmittedAt | ExpectedGiveBack): Promise<void> {
    // Left unsettled (a lost reply), it only costs a needless rebuild once it is old.
    await cache.settleAdmission(admission.epoch, admission.token).catch(() => undefined);
  }

  /**
   * A process that stopped between an admission and its outcome (killed, hung, partitioned
   * away) left the counters short of units the ledger still has: an undersell until the next
   * rebuild. Any trusted process that finds one rebuilds; what the stopped process still does
   * later is fenced by its admission's epoch (see `settle` and `giveBack`).
   */
  async function checkAdmissions(): Promise<void> {
    if (checkingAdmissions || stopped || trustedEpoch() === null) return;
    checkingAdmissions = true;
    try {
      const unsettled = await cache.unsettledAdmissions(deps.unsettledAfterMs ?? UNSETTLED_ADMISSION_MS);
      if (unsettled > 0) doubt(`${unsettled} admission(s) without an outcome: a process stopped between the mirror and the ledger`);
    } catch {
      // Nothing changed; the next check looks again.
    } finally {
      checkingAdmissions = false;
    }
  }

  /**
   * A process that doubted the mirror (a write of unknown outcome: a give-back it could
   * neither record nor count) and stopped before its rebuild began left the counters wrong,
   * and every process trusting that epoch keeps serving them: an undersell until another
   * doubt. Its doubt is in the ledger; found twice in a row, this process lets go of the epoch
   * and adopts a rebuild made since, or makes one. Not a doubt of its own writes: any rebuild
   * after that epoch covers it.
   */
  async function checkDoubts(): Promise<void> {
    const at = trustedEpoch();
    if (checkingDoubts || stopped || at === null) return;
    checkingDoubts = true;
    try {
      if (!(await ledger.isDoubted(at))) {
        foundDoubted = undefined;
      } else if (foundDoubted !== at) {
        foundDoubted = at;
      } else if (epoch === at) {
        foundDoubted = undefined;
        logger.warn("stock mirror doubted by a process that did not rebuild it; rebuilding it from the ledger", { epoch: at });
        epoch = null;
        refresh();
      }
    } catch {
      // Nothing changed; the next check looks again.
    } finally {
      checkingDoubts = false;
    }
  }

  return {
    status(): MirrorStatus {
      return { trusted: trustedEpoch() !== null, epoch, ...counts, doubts };
    },

    /**
     * Rebuilds at start, so the requests from then on take the fast path, then checks every
     * `checkEveryMs`: a reconnected or emptied cache is rebuilt even without traffic. Before
     * it, reservations and reads go to the ledger alone and start no rebuild: a process that
     * starts the whole platform starts the mirror once it serves, as the rebuild reads every
     * stock level (millions of rows at the design's catalog) and would slow every other step
     * of the start.
     */
    start(): void {
      if (stopped) return;
      started = true;
      refresh();
      timer ??= setInterval(refresh, deps.checkEveryMs ?? 250);
      timer.unref();
      admissionTimer ??= setInterval(() => void checkAdmissions(), deps.admissionCheckEveryMs ?? ADMISSION_CHECK_EVERY_MS);
      admissionTimer.unref();
      doubtTimer ??= setInterval(() => void checkDoubts(), deps.doubtCheckEveryMs ?? DOUBT_CHECK_EVERY_MS);
      doubtTimer.unref();
    },

    /** Asks the mirror for the units first; a "short" answer comes from trusted counters. */
    async admit(reservationId: string, items: readonly StockItem[]): Promise<Admission> {
      let at = trustedEpoch();
      const token = randomUUID();
      for (let attempt = 0; at !== null && attempt < 2; attempt++) {
        let outcome;
        try {
          outcome = await cache.reserve(at, reservationId, items, token);
        } catch (error) {
          doubtAt(at, "reserve failed", error);
          break;
        }
        if (outcome.kind === "reserved") {
          counts.admitted += 1;
          return { kind: "admitted", epoch: at, token };
        }
        if (outcome.kind === "short") return outcome;
        if (outcome.kind === "missing") {
          counts.bypassed += 1;
          return { kind: "bypass", missingVariantId: outcome.variantId };
        }
        await adopt(at, outcome.epoch);
        at = trustedEpoch();
      }
      refresh();
      counts.bypassed += 1;
      return { kind: "bypass" };
    },

    /**
     * Gives admitted units back after the ledger refused the reservation. Fenced by the
     * admission's epoch: if a rebuild happened since, the units were never in its snapshot.
     */
    async giveBack(admission: AdmittedAt, items: readonly StockItem[]): Promise<void> {
      try {
        await cache.adjust(admission.epoch, items.map((item) => ({ variantId: item.variantId, delta: item.quantity })));
      } catch (error) {
        doubtAt(admission.epoch, "give back failed", error);
        return;
      }
      await settleAdmission(admission);
    },

    /**
     * Records, before the ledger write, a change that gives units back, whether this process
     * trusts the mirror or not (others may: the change is fenced by the epoch the ledger
     * reports, not by this process's trust). Undefined when nothing was recorded (no mirror
     * built, or the cache unreachable: a rebuild comes first anyway). Settled by `settle` once
     * the mirror holds it; left unsettled by a process that stopped in between, it makes
     * another process rebuild (see `checkAdmissions`): the units would otherwise stay missing
     * from the counters, an undersell on every process, until one restarted. A rebuild begun
     * between the record and the ledger's commit leaves that window open, for its moment.
     */
    async expectGiveBack(): Promise<ExpectedGiveBack | undefined> {
      const token = randomUUID();
      try {
        const epoch = await cache.expectGiveBack(token);
        return epoch === null ? undefined : { epoch, token };
      } catch (error) {
        doubt("expecting a give-back failed", error);
        return undefined;
      }
    },

    /** Settles a give-back the ledger made nothing of (no such hold, a repeated restock). */
    async withdraw(expected: ExpectedGiveBack | undefined): Promise<void> {
      if (expected) await settleAdmission(expected);
    },

    /**
     * Brings the mirror up to a committed ledger change. A change reports the epoch whose
     * counters do not contain it yet (or contain it because this very request was admitted
     * at that epoch), so applying its deltas fenced by that epoch counts it exactly once.
     */
    async settle(change: LedgerChange, recorded?: AdmittedAt | ExpectedGiveBack): Promise<void> {
      // An admission's units left the counters with it; a give-back's are not in them yet.
      const admitted = recorded !== undefined && "kind" in recorded;
      const deltas = admitted && recorded.epoch === change.epoch ? [] : change.changes.filter((c) => c.delta !== 0);
      if (deltas.length > 0) {
        try {
          await cache.adjust(change.epoch, deltas);
        } catch (error) {
          doubtAt(change.epoch, "adjust failed", error);
          return;
        }
      }
      if (recorded) await settleAdmission(recorded);
    },

    /** Counters for variants new to the ledger, written before their rows commit. */
    async load(at: string, levels: readonly StockLevel[]): Promise<void> {
      if (levels.length === 0) return;
      try {
        await cache.load(at, levels);
      } catch (error) {
        doubtAt(at, "load failed", error);
      }
    },

    /** Available units per variant from the trusted mirror (absent where it has no counter), or null. */
    async read(variantIds: readonly string[]): Promise<Map<string, number> | null> {
      const at = trustedEpoch();
      if (at === null) {
        refresh();
        return null;
      }
      let answer;
      try {
        answer = await cache.read(variantIds);
      } catch {
        // A failed read changes nothing; the ledger answers this one.
        return null;
      }
      if (answer.epoch !== at) {
        await adopt(at, answer.epoch);
        if (trustedEpoch() !== answer.epoch) return null;
      }
      const found = new Map<string, number>();
      // Clamped: a counter can dip below zero for a moment while a give-back is in flight.
      answer.available.forEach((value, i) => value !== null && found.set(variantIds[i]!, Math.max(0, value)));
      return found;
    },

    /**
     * Distrusts the mirror until a rebuild: after a write whose outcome is unknown, or when
     * it lacks a counter the ledger has (it lost data).
     */
    doubt,

    /** Resolves when no rebuild is running (tests and shutdown). */
    async settled(): Promise<void> {
      while (rebuilding) await rebuilding;
    },

    /** Stops the checks, and a rebuild under way at its next page or chunk rather than its end. */
    async stop(): Promise<void> {
      stopped = true;
      stopping.abort();
      clearInterval(timer);
      clearInterval(admissionTimer);
      clearInterval(doubtTimer);
      while (rebuilding) await rebuilding;
    },
  };
}

export type StockMirror = ReturnType<typeof createStockMirror>;
