import { randomUUID } from "node:crypto";
import { badInput } from "#kernel";
import type { PrismaClient } from "#kernel/relational";
import { byProductId, releaseStep } from "../domain/stock-rules.js";
import type { Reservation, StockItem, StockLevel } from "../domain/stock.js";
import type { LedgerChange, LedgerCommitResult, LedgerReserveResult, StockLedger } from "../ports/stock-ledger.js";
import {
  commitInOneTrip,
  findReservation,
  giveBack,
  holdFenceExclusive,
  holdFenceShared,
  readEpoch,
  reserveInOneTrip,
  recordStockEvents,
  setStatus,
  type Tx,
} from "./stock-ledger-statements.js";

const INT4_MAX = 2_147_483_647;

/** The stock ledger on PostgreSQL through Prisma; see the port for its guarantees. */
export class PrismaStockLedger implements StockLedger {
  private readonly transactionOptions: { maxWait: number; timeout: number };

  constructor(
    private readonly prisma: PrismaClient,
    /**
     * How long a change may wait for a pooled connection, and run. A burst of buyers queues
     * for the pool; the caller's own timeout bounds what it is still willing to wait for.
     */
    options: { maxWaitMs?: number; timeoutMs?: number } = {},
  ) {
    this.transactionOptions = { maxWait: options.maxWaitMs ?? 60_000, timeout: options.timeoutMs ?? 20_000 };
  }

  async levels(productIds: readonly string[]): Promise<Map<string, StockLevel>> {
    if (productIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<StockLevel[]>`
      SELECT "productId", available, reserved FROM "StockLevel" WHERE "productId" = ANY(${[...productIds]}::text[])`;
    return new Map(rows.map((row) => [row.productId, row]));
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
          change: { epoch: result.epoch, changes: items.map((item, i) => ({ productId: item.productId, delta: -item.quantity, available: result.available[i]! })) },
        };
      case "existing": {
        // An idempotent repeat (a live hold now expiring later), a concurrent twin that
        // committed first, a sale, or another request under this id.
        const existing = await this.reservation(reservationId);
        if (!existing) throw new Error(`Reservation ${reservationId} vanished while being read`);
        return { kind: "existing", reservation: existing };
      }
      case "short":
        return { kind: "short", productId: result.productId, available: result.available };
      case "unknown":
        return { kind: "unknown", productId: result.productId };
    }
  }

  async commit(reservationId: string, now: Date): Promise<LedgerCommitResult | null> {
    const result = await commitInOneTrip(this.prisma, reservationId, now);
    if (result.outcome === "unknown") return null;
    const reservation: Reservation = { id: reservationId, status: result.status, expiresAt: new Date(`${result.expiresAt}Z`), items: [...result.items].sort(byProductId) };
    if (result.outcome === "short") return { kind: "short", reservation, productId: result.productId, available: result.available };
    const changes = result.available.map((available, i) => ({ productId: result.items[i]!.productId, delta: -result.items[i]!.quantity, available }));
    return { kind: "committed", reservation: { ...reservation, status: "COMMITTED" }, change: { epoch: result.epoch, changes } };
  }

  release(reservationId: string, now: Date): Promise<{ reservation: Reservation; change: LedgerChange } | null> {
    return this.change(async (tx) => {
      const reservation = await findReservation(tx, reservationId, { lock: true });
      if (!reservation) return null;
      const epoch = await readEpoch(tx);
      if (releaseStep(reservationId, reservation.status) === "unchanged") return { reservation, change: { epoch, changes: [] } };
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
        SELECT "productId", sum(quantity)::int AS quantity FROM "ReservationItem"
        WHERE "reservationId" = ANY(${ids}::text[]) GROUP BY "productId"`;
      const changes = await giveBack(tx, held.sort(byProductId), now);
      return { expired: ids, change: { epoch, changes } };
    });
  }

  restock(item: StockItem, now: Date): Promise<{ level: StockLevel; change: LedgerChange } | null> {
    return this.change(async (tx) => {
      const epoch = await readEpoch(tx);
      // Bounded so the sum still fits PostgreSQL's integer: an overflow would be a 500, not an answer.
      const [row] = await tx.$queryRaw<StockLevel[]>`
        UPDATE "StockLevel" SET available = available + ${item.quantity}, "updatedAt" = ${now}
        WHERE "productId" = ${item.productId} AND available + reserved <= ${INT4_MAX - item.quantity}
        RETURNING "productId", available, reserved`;
      if (!row) {
        const [exists] = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "StockLevel" WHERE "productId" = ${item.productId}`;
        if (exists) throw badInput(`Restocking ${item.quantity} would exceed the most units one product can hold`, { field: "quantity", productId: item.productId });
        return null;
      }
      const changes = [{ productId: row.productId, delta: item.quantity, available: row.available }];
      await recordStockEvents(tx, changes, now);
      return { level: row, change: { epoch, changes } };
    });
  }

  createLevels(
    levels: readonly { productId: string; available: number }[],
    beforeCommit: (epoch: string, created: StockLevel[]) => Promise<void>,
    now: Date,
  ): Promise<StockLevel[]> {
    if (levels.length === 0) return Promise.resolve([]);
    return this.change(async (tx) => {
      const epoch = await readEpoch(tx);
      const created = await tx.$queryRaw<StockLevel[]>`
        INSERT INTO "StockLevel" ("productId", available, reserved, "updatedAt")
        SELECT level.product, level.available, 0, ${now}
        FROM unnest(${levels.map((l) => l.productId)}::text[], ${levels.map((l) => l.available)}::int[]) AS level(product, available)
        ON CONFLICT ("productId") DO NOTHING
        RETURNING "productId", available, reserved`;
      await recordStockEvents(tx, created.map((row) => ({ productId: row.productId, delta: row.available, available: row.available })), now);
      await beforeCommit(epoch, created);
      return created;
    });
  }

  rebuildMirror(write: (epoch: string, levels: StockLevel[]) => Promise<void>): Promise<string> {
    return this.prisma.$transaction(
      async (tx) => {
        await holdFenceExclusive(tx);
        const epoch = randomUUID();
        await tx.$executeRaw`
          INSERT INTO "StockMirrorEpoch" (id, epoch, "rebuiltAt") VALUES (1, ${epoch}, now())
          ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch, "rebuiltAt" = EXCLUDED."rebuiltAt"`;
        const levels = await tx.$queryRaw<StockLevel[]>`SELECT "productId", available, reserved FROM "StockLevel"`;
        await write(epoch, levels);
        return epoch;
      },
      { maxWait: this.transactionOptions.maxWait, timeout: 120_000 },
    );
  }

  currentEpoch(): Promise<string> {
    return readEpoch(this.prisma);
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
