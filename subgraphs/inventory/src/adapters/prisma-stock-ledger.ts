import { randomUUID } from "node:crypto";
import { badInput } from "#kernel";
import { withDirectConnection, type PrismaClient } from "#kernel/relational";
import { byVariantId, releasable, releaseStep, type ReleaseConditions } from "../domain/stock-rules.js";
import type { Reservation, StockItem, StockLevel } from "../domain/stock.js";
import { restockKeyId, type LedgerChange, type LedgerCommitResult, type LedgerReserveResult, type LedgerRestockResult, type MirrorRebuild, type StockLedger } from "../ports/stock-ledger.js";
import {
  commitInOneTrip,
  findReservation,
  giveBack,
  MIRROR_FENCE,
  holdFenceShared,
  readEpoch,
  reserveInOneTrip,
  recordStockEvents,
  changeTime,
  setStatus,
  unstamped,
  type StampedChange,
  type Tx,
} from "./stock-ledger-statements.js";

const INT4_MAX = 2_147_483_647;
/**
 * How long one page of a mirror rebuild's read of the levels may take, on the server and in
 * the client: a page takes well under a second on a busy machine, so a page past it is stuck.
 */
const PAGE_READ_MS = 120_000;
/** Levels a rebuild reads at once: a few hundred ms of a busy server, a few MB of the process. */
const REBUILD_PAGE = 50_000;

/** The stock ledger on PostgreSQL through Prisma; see the port for its guarantees. */
export class PrismaStockLedger implements StockLedger {
  private readonly transactionOptions: { maxWait: number; timeout: number };
  private readonly rebuildPage: number;

  constructor(
    private readonly prisma: PrismaClient,
    /**
     * How long a change may wait for a pooled connection, and run. A burst of buyers queues
     * for the pool; the caller's own timeout bounds what it is still willing to wait for.
     */
    options: { maxWaitMs?: number; timeoutMs?: number; rebuildPage?: number } = {},
  ) {
    this.transactionOptions = { maxWait: options.maxWaitMs ?? 60_000, timeout: options.timeoutMs ?? 20_000 };
    this.rebuildPage = options.rebuildPage ?? REBUILD_PAGE;
  }

  async levels(variantIds: readonly string[]): Promise<Map<string, StockLevel>> {
    if (variantIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<StockLevel[]>`
      SELECT "variantId", available, reserved FROM "StockLevel" WHERE "variantId" = ANY(${[...variantIds]}::text[])`;
    return new Map(rows.map((row) => [row.variantId, row]));
  }

  async variantsOf(productIds: readonly string[]): Promise<Map<string, string[]>> {
    if (productIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<{ productId: string; variantIds: string[] }[]>`
      SELECT "productId", array_agg("variantId" ORDER BY "variantId" COLLATE "C") AS "variantIds"
      FROM "StockLevel" WHERE "productId" = ANY(${[...productIds]}::text[]) GROUP BY "productId"`;
    return new Map(rows.map((row) => [row.productId, row.variantIds]));
  }

  reservation(reservationId: string): Promise<Reservation | null> {
    return findReservation(this.prisma, reservationId);
  }

  async reserve({ reservationId, items, expiresAt, now }: { reservationId: string; items: readonly StockItem[]; expiresAt: Date; now: Date }): Promise<LedgerReserveResult> {
    const result = await reserveInOneTrip(this.prisma, { id: reservationId, items, expiresAt, now });
    switch (result.outcome) {
      case "reserved":
        return {
          kind: "reserved",
          reservation: { id: reservationId, status: "HELD", expiresAt, items: [...items] },
          change: { epoch: result.epoch, changes: items.map((item, i) => ({ variantId: item.variantId, delta: -item.quantity, available: result.available[i]! })) },
        };
      case "existing": {
        // An idempotent repeat (a live hold now expiring later), a concurrent twin that
        // committed first, a sale, or another request under this id.
        const existing = await this.reservation(reservationId);
        if (!existing) throw new Error(`Reservation ${reservationId} vanished while being read`);
        return { kind: "existing", reservation: existing };
      }
      case "short":
        return { kind: "short", variantId: result.variantId, available: result.available };
      case "unknown":
        return { kind: "unknown", variantId: result.variantId };
    }
  }

  async commit(reservationId: string, now: Date): Promise<LedgerCommitResult | null> {
    const result = await commitInOneTrip(this.prisma, reservationId, now);
    if (result.outcome === "unknown") return null;
    const reservation: Reservation = { id: reservationId, status: result.status, expiresAt: new Date(`${result.expiresAt}Z`), items: [...result.items].sort(byVariantId) };
    if (result.outcome === "short") return { kind: "short", reservation, variantId: result.variantId, available: result.available };
    const changes = result.available.map((available, i) => ({ variantId: result.items[i]!.variantId, delta: -result.items[i]!.quantity, available }));
    return { kind: "committed", reservation: { ...reservation, status: "COMMITTED" }, change: { epoch: result.epoch, changes } };
  }

  release(reservationId: string, now: Date, options: ReleaseConditions = {}): Promise<{ reservation: Reservation; change: LedgerChange } | null> {
    return this.change(async (tx) => {
      const [locked] = await tx.$queryRaw<{ lastReservedAt: Date }[]>`SELECT "updatedAt" AS "lastReservedAt" FROM "Reservation" WHERE id = ${reservationId} FOR UPDATE`;
      const reservation = locked && (await findReservation(tx, reservationId));
      if (!reservation) return null;
      const epoch = await readEpoch(tx);
      if (releaseStep(reservationId, reservation.status) === "unchanged") return { reservation, change: { epoch, changes: [] } };
      // A HELD row's "updatedAt" is its last reserve: every reserve of an id sets it, and only a
      // status change (which ends HELD) writes it otherwise.
      // A try leaving counts itself out under the row's lock: of two leaving at once, the
      // second sees the first gone. A count from before counting (NULL) stays NULL, never 0
      // (greatest() would skip the NULL and answer 0).
      const left = options.leaving
        ? await tx.$queryRaw<{ liveTries: number | null }[]>`
            UPDATE "Reservation" SET "liveTries" = CASE WHEN "liveTries" > 0 THEN "liveTries" - 1 ELSE "liveTries" END WHERE id = ${reservationId} RETURNING "liveTries"`
        : [];
      if (!releasable(reservation.expiresAt, locked.lastReservedAt, options, left[0]?.liveTries === 0)) return { reservation, change: { epoch, changes: [] } };
      const changes = await giveBack(tx, reservation.items, now);
      await setStatus(tx, [reservationId], "RELEASED", now);
      return { reservation: { ...reservation, status: "RELEASED" }, change: { epoch, changes } };
    });
  }

  expireDue(now: Date, limit: number): Promise<{ expired: string[]; change: LedgerChange }> {
    return this.change(async (tx) => {
      const epoch = await readEpoch(tx);
      const due = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM "Reservation" WHERE status = 'HELD' AND "expiresAt" <= ${now}
        ORDER BY "expiresAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (due.length === 0) return { expired: [], change: { epoch, changes: [] } };
      const ids = due.map((row) => row.id);
      await setStatus(tx, ids, "EXPIRED", now);
      const held = await tx.$queryRaw<StockItem[]>`
        SELECT "variantId", sum(quantity)::int AS quantity FROM "ReservationItem"
        WHERE "reservationId" = ANY(${ids}::text[]) GROUP BY "variantId"`;
      const changes = await giveBack(tx, held.sort(byVariantId), now);
      return { expired: ids, change: { epoch, changes } };
    });
  }

  async nextExpiry(): Promise<Date | null> {
    // Served by the (status, expiresAt) index the sweep uses: the first HELD entry.
    const [row] = await this.prisma.$queryRaw<{ expiresAt: Date | null }[]>`
      SELECT min("expiresAt") AS "expiresAt" FROM "Reservation" WHERE status = 'HELD'`;
    return row?.expiresAt ?? null;
  }

  putBack(returnId: string, items: readonly StockItem[], now: Date): Promise<{ repeated: boolean; change: LedgerChange }> {
    return this.change(async (tx) => {
      const epoch = await readEpoch(tx);
      // The id's row is the once-only guard: a concurrent twin waits on its key, then finds it.
      const [fresh] = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO "StockReturn" (id, items, "createdAt") VALUES (${returnId}, ${JSON.stringify(items)}::jsonb, ${now})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (!fresh) return { repeated: true, change: { epoch, changes: [] } };
      const changes: StampedChange[] = [];
      for (const { variantId, quantity } of items) {
        const [row] = await tx.$queryRaw<{ available: number; at: Date }[]>`
          UPDATE "StockLevel" SET available = available + ${quantity}, "updatedAt" = ${changeTime(now)}
          WHERE "variantId" = ${variantId} AND available + reserved <= ${INT4_MAX - quantity}
          RETURNING available, "updatedAt" AS at`;
        if (row) changes.push({ variantId, delta: quantity, available: row.available, at: row.at });
      }
      await recordStockEvents(tx, changes);
      return { repeated: false, change: { epoch, changes: unstamped(changes) } };
    });
  }

  restock(item: StockItem, now: Date, key?: string): Promise<LedgerRestockResult | null> {
    return this.change(async (tx) => {
      const epoch = await readEpoch(tx);
      // The level's row first: a variant without stock records no key (the service creates its
      // level and asks again), and twins of one key queue here, then find the first's key row.
      const [current] = await tx.$queryRaw<StockLevel[]>`SELECT "variantId", available, reserved FROM "StockLevel" WHERE "variantId" = ${item.variantId} FOR UPDATE`;
      if (!current) return null;
      if (key !== undefined) {
        const id = restockKeyId(key);
        const [fresh] = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO "StockReturn" (id, items, "createdAt") VALUES (${id}, ${JSON.stringify([item])}::jsonb, ${now})
          ON CONFLICT (id) DO NOTHING RETURNING id`;
        if (!fresh) {
          const [first] = await tx.$queryRaw<{ items: StockItem[] }[]>`SELECT items FROM "StockReturn" WHERE id = ${id}`;
          return { level: current, change: { epoch, changes: [] }, repeatOf: first!.items };
        }
      }
      // Bounded so the sum still fits PostgreSQL's integer: an overflow would be a 500, not an answer.
      const [stamped] = await tx.$queryRaw<(StockLevel & { at: Date })[]>`
        UPDATE "StockLevel" SET available = available + ${item.quantity}, "updatedAt" = ${changeTime(now)}
        WHERE "variantId" = ${item.variantId} AND available + reserved <= ${INT4_MAX - item.quantity}
        RETURNING "variantId", available, reserved, "updatedAt" AS at`;
      if (!stamped) throw badInput(`Restocking ${item.quantity} would exceed the most units one variant can hold`, { field: "quantity", variantId: item.variantId });
      const { at, ...row } = stamped;
      const changes = [{ variantId: row.variantId, delta: item.quantity, available: row.available, at }];
      await recordStockEvents(tx, changes);
      return { level: row, change: { epoch, changes: unstamped(changes) } };
    });
  }

  createLevels(
    levels: readonly { variantId: string; available: number }[],
    beforeCommit: (epoch: string, created: StockLevel[]) => Promise<void>,
    now: Date,
  ): Promise<StockLevel[]> {
    if (levels.length === 0) return Promise.resolve([]);
    return this.change(async (tx) => {
      const epoch = await readEpoch(tx);
      const created = await tx.$queryRaw<StockLevel[]>`
        INSERT INTO "StockLevel" ("variantId", "productId", available, reserved, "updatedAt")
        SELECT level.variant, split_part(level.variant, ':', 1), level.available, 0, ${now}
        FROM unnest(${levels.map((l) => l.variantId)}::text[], ${levels.map((l) => l.available)}::int[]) AS level(variant, available)
        ON CONFLICT ("variantId") DO NOTHING
        RETURNING "variantId", available, reserved`;
      // A level's first change: nothing of it came before.
      await recordStockEvents(tx, created.map((row) => ({ variantId: row.variantId, delta: row.available, available: row.available, at: now })));
      await beforeCommit(epoch, created);
      return created;
    });
  }

  async rebuildMirror(mirror: MirrorRebuild): Promise<string> {
    const epoch = randomUUID();
    await withDirectConnection(this.prisma, async (client) => {
      // Session-level, so it can end between the two transactions below: it waits for every
      // change in flight (each holds the fence shared until it commits) and holds new ones
      // back only while the epoch moves and the snapshot is taken, not while it is read.
      // On any failure the connection is closed (withDirectConnection), which ends the lock and
      // rolls back whatever transaction is open.
      await client.query(`SELECT pg_advisory_lock(${MIRROR_FENCE})`);
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO "StockMirrorEpoch" (id, epoch, "rebuiltAt") VALUES (1, $1, now())
         ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch, "rebuiltAt" = EXCLUDED."rebuiltAt"`,
        [epoch],
      );
      // Before the new epoch commits: a change that reports it must find the mirror keeping
      // its deltas. Should this fail, the epoch rolls back and the old marker is gone.
      await mirror.begin(epoch);
      await client.query("COMMIT");
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      // The snapshot the levels are read in is taken here, with the fence still held: every
      // change before the new epoch is in it, every change after reports the new epoch.
      await client.query("SELECT pg_current_snapshot()");
      await client.query(`SELECT pg_advisory_unlock(${MIRROR_FENCE})`);
      // The one read of a service that grows with the catalog (1.4 million levels: 1.4 s on
      // this machine's server, more into a busy process), so its pages have a bound of their
      // own rather than the pool's statement bound; it holds no lock, only its snapshot, and
      // ends with its transaction. Read by pages of a cursor, so a stop (the signal) is heard
      // between two pages rather than after millions of rows.
      // The mirror writes each page between two reads: as long as a page may take, not the
      // pool's bound for a transaction left idle by a hung process.
      await client.query(`SET LOCAL statement_timeout = ${PAGE_READ_MS}; SET LOCAL idle_in_transaction_session_timeout = ${PAGE_READ_MS}`);
      await client.query(`DECLARE mirror_levels NO SCROLL CURSOR FOR SELECT "variantId", available, reserved FROM "StockLevel"`);
      // `query_timeout` per query: pg reads it, its types do not declare it.
      const pageSize = this.rebuildPage;
      const nextPage = { text: `FETCH FORWARD ${pageSize} FROM mirror_levels`, query_timeout: PAGE_READ_MS } as { text: string };
      let exhausted = false;
      const signal = mirror.signal;
      // Each page is read as the mirror takes the one before: one page in the process at a time
      // (2.8M levels held at once took 935 MB), the snapshot open until the mirror has them all.
      async function* pages(): AsyncGenerator<StockLevel[]> {
        for (;;) {
          signal?.throwIfAborted();
          const page = await client.query<StockLevel>(nextPage);
          if (page.rows.length > 0) yield page.rows;
          if (page.rows.length < pageSize) {
            exhausted = true;
            return;
          }
        }
      }
      signal?.throwIfAborted();
      await mirror.fill(epoch, pages());
      if (!exhausted) throw new Error("the mirror's fill ended before it took every level");
      await client.query("COMMIT");
    });
    return epoch;
  }

  /**
   * Under the shared fence, as a change reads it: a rebuild whose start is under way (its
   * epoch stored but not committed, the mirror's marker dropped already) is waited for, so the
   * epoch answered is never one such a rebuild is replacing.
   */
  currentEpoch(): Promise<string> {
    return this.change((tx) => readEpoch(tx));
  }

  async recordDoubt(epoch?: string): Promise<void> {
    // Not under the fence, but conditional on the epoch: an UPDATE that waited for a rebuild's
    // row lock re-reads the row it then finds, and must not doubt the rebuild's new epoch.
    // Without a known epoch, the one the statement read first (its subquery is evaluated once).
    await this.prisma.$executeRaw`UPDATE "StockMirrorEpoch" SET "doubtedEpoch" = epoch
      WHERE id = 1 AND epoch = COALESCE(${epoch ?? null}::text, (SELECT current.epoch FROM "StockMirrorEpoch" current WHERE current.id = 1))`;
  }

  async isDoubted(epoch: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`SELECT 1 AS doubted FROM "StockMirrorEpoch" WHERE id = 1 AND epoch = ${epoch} AND "doubtedEpoch" = ${epoch}`;
    return rows.length > 0;
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
  }

  /** One stock change, under the shared mirror fence. */
  private change<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(async (tx) => {
      await holdFenceShared(tx);
      return work(tx);
    }, this.transactionOptions);
  }
}
