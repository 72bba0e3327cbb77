import { setImmediate as nextTurn } from "node:timers/promises";
import type { StockItem } from "../domain/stock.js";
import { ADMISSION_MEMORY_MS, DEFAULT_REBUILD_LEASE_MS, pagesOf, type CacheReserveOutcome, type CounterLevels, type StockCache } from "../ports/stock-cache.js";

/**
 * The stock mirror in memory, for the zero-setup mode and tests; the same semantics as the
 * Redis mirror (the contract suite runs against both). Each call runs to completion before
 * the next, as a Lua script does in Redis.
 *
 * It can also play the failures the service must survive: `down()` makes every call throw
 * (a stopped server), `up()` brings it back empty with a new session (restarted without
 * persistence), and `loseReplies` applies calls but throws anyway (a reply lost on the wire).
 */
const FILL_CHUNK = 1_000;

export class EmbeddedStockCache implements StockCache {
  readonly engine = "embedded";
  private counters = new Map<string, number>();
  private marker: string | null = null;
  /** The rebuild under way, as the Redis mirror keeps it (see its scripts). */
  private rebuild: { epoch: string; leaseEnds: number; filling: boolean; deltas: Map<string, number>; loaded: Map<string, number> } | null = null;
  private readonly leaseMs: number;
  /** Reservation id -> when the mirror forgets it admitted that id (insertion order: oldest first). */
  private readonly admitted = new Map<string, number>();
  /** "epoch token" of each admission not settled yet -> when it was made. */
  private readonly unsettled = new Map<string, number>();
  private readonly now: () => number;
  private sessionNumber = 1;
  private isDown = false;
  /** When set, every call is applied and then throws, as if its reply was lost. */
  loseReplies = false;

  /** `clock`: the engine's own time in ms, which judges how old an admission is. */
  constructor(options: { rebuildLeaseMs?: number; clock?: () => number } = {}) {
    this.leaseMs = options.rebuildLeaseMs ?? DEFAULT_REBUILD_LEASE_MS;
    this.now = options.clock ?? Date.now;
  }

  session(): number {
    return this.sessionNumber;
  }

  async reserve(epoch: string, reservationId: string, items: readonly StockItem[], token: string): Promise<CacheReserveOutcome> {
    return this.call(() => {
      if (this.marker !== epoch) return { kind: "stale", epoch: this.marker };
      const now = Date.now();
      for (const { variantId, quantity } of items) {
        const available = this.counters.get(variantId);
        if (available === undefined) return { kind: "missing", variantId };
        if (available < quantity) return { kind: "short", variantId, available, admittedBefore: (this.admitted.get(reservationId) ?? 0) > now };
      }
      for (const { variantId, quantity } of items) this.counters.set(variantId, this.counters.get(variantId)! - quantity);
      this.rememberAdmitted(reservationId, now);
      this.unsettled.set(`${epoch} ${token}`, this.now());
      return { kind: "reserved" };
    });
  }

  async expectGiveBack(token: string): Promise<string | null> {
    return this.call(() => {
      const epoch = this.marker ?? this.rebuild?.epoch ?? null;
      if (epoch !== null) this.unsettled.set(`${epoch} ${token}`, this.now());
      return epoch;
    });
  }

  async settleAdmission(epoch: string, token: string): Promise<void> {
    this.call(() => this.unsettled.delete(`${epoch} ${token}`));
  }

  async unsettledAdmissions(olderThanMs: number): Promise<number> {
    return this.call(() => {
      const cutoff = this.now() - olderThanMs;
      let count = 0;
      for (const [admission, madeAt] of this.unsettled) {
        if (madeAt > cutoff) continue;
        if (this.marker !== null && admission.slice(0, admission.lastIndexOf(" ")) === this.marker) count += 1;
        else this.unsettled.delete(admission);
      }
      return count;
    });
  }

  private rememberAdmitted(reservationId: string, now: number): void {
    this.admitted.delete(reservationId);
    this.admitted.set(reservationId, now + ADMISSION_MEMORY_MS);
    // Forgotten oldest first, as Redis expires its keys: memory stays bounded by the window.
    for (const [id, forgetAt] of this.admitted) {
      if (forgetAt > now) break;
      this.admitted.delete(id);
    }
  }

  async adjust(epoch: string, deltas: readonly { variantId: string; delta: number }[]): Promise<boolean> {
    return this.call(() => {
      const phase = this.phase(epoch);
      if (phase === null) return false;
      for (const { variantId, delta } of deltas) {
        const current = this.counters.get(variantId);
        if (phase !== "clearing" && current !== undefined) this.counters.set(variantId, current + delta);
        else if (phase !== "live") this.rebuild!.deltas.set(variantId, (this.rebuild!.deltas.get(variantId) ?? 0) + delta);
      }
      return true;
    });
  }

  async load(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<boolean> {
    return this.call(() => {
      const phase = this.phase(epoch);
      if (phase === null) return false;
      for (const { variantId, available } of levels) (phase === "live" ? this.counters : this.rebuild!.loaded).set(variantId, available);
      return true;
    });
  }

  async read(variantIds: readonly string[]): Promise<{ epoch: string | null; rebuilding: string | null; available: (number | null)[] }> {
    return this.call(() => ({ epoch: this.marker, rebuilding: this.current()?.epoch ?? null, available: variantIds.map((id) => this.counters.get(id) ?? null) }));
  }

  /** Memory is lost with the process or a restart (`up`), so a marker here is always a finished rebuild's. */
  async completedEpoch(): Promise<string | null> {
    return this.call(() => this.marker);
  }

  async beginRebuild(epoch: string): Promise<void> {
    this.call(() => {
      this.marker = null;
      this.rebuild = { epoch, leaseEnds: Date.now() + this.leaseMs, filling: false, deltas: new Map(), loaded: new Map() };
    });
  }

  async renewRebuild(epoch: string): Promise<boolean> {
    return this.call(() => {
      const rebuild = this.current();
      if (rebuild?.epoch !== epoch) return false;
      rebuild.leaseEnds = Date.now() + this.leaseMs;
      return true;
    });
  }

  /** In steps with a turn of the event loop between them, as the Redis mirror's commands interleave with others. */
  async fillRebuild(epoch: string, levels: CounterLevels, signal?: AbortSignal): Promise<boolean> {
    const step = (work: (rebuild: NonNullable<EmbeddedStockCache["rebuild"]>) => void) =>
      this.call(() => {
        if (signal?.aborted) return false;
        const rebuild = this.current();
        if (rebuild?.epoch !== epoch) return false;
        work(rebuild);
        rebuild.leaseEnds = Date.now() + this.leaseMs;
        return true;
      });
    if (!step(() => this.counters.clear())) return false;
    await nextTurn();
    if (!step((rebuild) => (rebuild.filling = true))) return false;
    for await (const page of pagesOf(levels)) {
      for (let i = 0; i < page.length; i += FILL_CHUNK) {
        await nextTurn();
        const written = step((rebuild) => {
          for (const { variantId, available } of page.slice(i, i + FILL_CHUNK)) {
            this.counters.set(variantId, available + (rebuild.deltas.get(variantId) ?? 0));
            rebuild.deltas.delete(variantId);
          }
        });
        if (!written) return false;
      }
    }
    await nextTurn();
    return step((rebuild) => {
      for (const [variantId, available] of rebuild.loaded) this.counters.set(variantId, available + (rebuild.deltas.get(variantId) ?? 0));
      this.rebuild = null;
      this.marker = epoch;
    });
  }

  /** Every call throws until `up()`, like a stopped server. */
  down(): void {
    this.isDown = true;
  }

  /** Back, empty, on a new session: a server restarted without persistence. */
  up(): void {
    this.counters = new Map();
    this.admitted.clear();
    this.unsettled.clear();
    this.marker = null;
    this.rebuild = null;
    this.sessionNumber += 1;
    this.isDown = false;
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  /** The rebuild under way, unless its lease ran out. */
  private current() {
    if (this.rebuild !== null && this.rebuild.leaseEnds <= Date.now()) this.rebuild = null;
    return this.rebuild;
  }

  /** How a call fenced by `epoch` applies: to the live counters, to a rebuild (before or while it writes), or not at all. */
  private phase(epoch: string): "live" | "clearing" | "filling" | null {
    if (this.marker === epoch) return "live";
    // A marker set since the rebuild began (which dropped it) belongs to a later rebuild.
    if (this.marker !== null) return null;
    const rebuild = this.current();
    if (rebuild?.epoch !== epoch) return null;
    return rebuild.filling ? "filling" : "clearing";
  }

  private call<T>(operation: () => T): T {
    if (this.isDown) throw new Error("The embedded stock cache is down");
    const result = operation();
    if (this.loseReplies) throw new Error("The embedded stock cache lost the reply");
    return result;
  }
}
