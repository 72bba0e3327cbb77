import { randomUUID } from "node:crypto";
import { InventoryEventTypes, newEvent, productIdOfVariant, Topics, type StockChangedPayload } from "#kernel";
import { Prisma, queryDirect, writeOutbox, type PrismaClient } from "#kernel/relational";
import { byVariantId } from "../domain/stock-rules.js";
import type { AvailabilityChange, Reservation, ReservationStatus, StockItem } from "../domain/stock.js";

// The SQL statements the PostgreSQL stock ledger is made of, raw: Prisma's query builder
// costs more CPU per statement than the statement itself, and a hot variant's row stays
// locked from its UPDATE to the COMMIT, so every round trip saved there is throughput.

export type Tx = Prisma.TransactionClient;

/**
 * Advisory lock key of the mirror fence: every stock change holds it shared, a mirror
 * rebuild exclusively. Any constant works; it must differ from the other advisory locks
 * taken in this database (the outbox relay uses 7_340_021).
 */
/** The advisory lock every stock change holds shared and a mirror rebuild takes exclusively. */
export const MIRROR_FENCE = 7_340_131;

export async function holdFenceShared(tx: Tx): Promise<void> {
  await tx.$queryRaw`SELECT 1 AS fenced FROM (SELECT pg_advisory_xact_lock_shared(${MIRROR_FENCE}::bigint)) AS fence`;
}

/**
 * The mirror epoch, read in a statement after the fence was taken: its snapshot is newer
 * than the commit of any rebuild that held the fence.
 */
export async function readEpoch(tx: Pick<Tx, "$queryRaw">): Promise<string> {
  const [row] = await tx.$queryRaw<{ epoch: string }[]>`SELECT epoch FROM "StockMirrorEpoch" WHERE id = 1`;
  return row?.epoch ?? "none";
}

type ReserveOutcome =
  | { outcome: "reserved"; epoch: string; available: number[] }
  | { outcome: "existing" }
  | { outcome: "short"; variantId: string; available: number }
  | { outcome: "unknown"; variantId: string };

/**
 * A whole reservation in one round trip: the `inventory_reserve` function (see its
 * migrations) takes the fence, reads the epoch, locks and checks every item, then creates the
 * HELD reservation (or holds an expired or released one of this id again), takes the units and
 * records the StockChanged events; or refreshes the expiry of this id's live hold; or changes
 * nothing.
 */
export async function reserveInOneTrip(
  prisma: PrismaClient,
  reservation: { id: string; items: readonly StockItem[]; expiresAt: Date; now: Date },
): Promise<ReserveOutcome> {
  const { id, items, expiresAt, now } = reservation;
  const [row] = await queryDirect<{ result: ReserveOutcome }>(prisma, Prisma.sql`
    SELECT inventory_reserve(
      ${id}, ${items.map((i) => i.variantId)}::text[], ${items.map((i) => i.quantity)}::int[],
      ${expiresAt}::timestamp(3), ${now}::timestamp(3), ${items.map(() => randomUUID())}::text[],
      ${Topics.stockChanged}, ${InventoryEventTypes.stockChanged}
    ) AS result`);
  if (!row) throw new Error("inventory_reserve returned no row");
  return row.result;
}

type CommitOutcome =
  | { outcome: "committed"; status: ReservationStatus; expiresAt: string; items: StockItem[]; epoch: string; available: number[] }
  | { outcome: "short"; status: ReservationStatus; expiresAt: string; items: StockItem[]; epoch: string; variantId: string; available: number }
  | { outcome: "unknown" };

/**
 * A reservation's commit in one round trip: the `inventory_commit` function (see its
 * migration) takes the fence, reads the epoch, locks the reservation and sells its held units,
 * or takes an expired or released one's units again (all or nothing, with their StockChanged
 * events), or changes nothing. `expiresAt` is UTC without its zone, `available` follows `items`.
 */
export async function commitInOneTrip(prisma: PrismaClient, reservationId: string, now: Date): Promise<CommitOutcome> {
  const [row] = await queryDirect<{ result: CommitOutcome }>(
    prisma,
    Prisma.sql`SELECT inventory_commit(${reservationId}, ${now}::timestamp(3), ${Topics.stockChanged}, ${InventoryEventTypes.stockChanged}) AS result`,
  );
  if (!row) throw new Error("inventory_commit returned no row");
  return row.result;
}

/**
 * The time a change of a level is stamped with, set under its row lock: the caller's clock, but
 * always after the level's previous change. The clock was read before the lock was waited for
 * (a hot row in a sale, another replica whose clock runs behind), so two changes of one variant
 * can be read in one order and made in the other; stamped so, a variant's StockChanged events
 * are ordered as its changes were made (the outbox relay publishes by event time, and listings
 * keep the in-stock flag of the latest), never a sold-out after the give-back that followed it.
 * The functions inventory_reserve and inventory_commit stamp their changes the same way.
 */
export const changeTime = (now: Date) => Prisma.sql`greatest(${now}::timestamp(3), "updatedAt" + interval '1 millisecond')`;

/** A change of a level and when it was made (its row's new "updatedAt"): what its event says. */
export type StampedChange = AvailabilityChange & { at: Date };

/** The changes as the ledger reports them, without their times (the events carry those). */
export const unstamped = (changes: readonly StampedChange[]): AvailabilityChange[] => changes.map(({ variantId, delta, available }) => ({ variantId, delta, available }));

/** Returns held units to `available`, in lock order. */
export async function giveBack(tx: Tx, items: readonly StockItem[], now: Date): Promise<AvailabilityChange[]> {
  const changes: StampedChange[] = [];
  for (const { variantId, quantity } of items) {
    const [row] = await tx.$queryRaw<{ available: number; at: Date }[]>`
      UPDATE "StockLevel" SET available = available + ${quantity}, reserved = reserved - ${quantity}, "updatedAt" = ${changeTime(now)}
      WHERE "variantId" = ${variantId} RETURNING available, "updatedAt" AS at`;
    if (!row) throw new Error(`Stock of ${variantId} vanished while units were held`);
    changes.push({ variantId, delta: quantity, available: row.available, at: row.at });
  }
  await recordStockEvents(tx, changes);
  return unstamped(changes);
}

interface ReservationRow {
  id: string;
  status: ReservationStatus;
  expiresAt: Date;
  items: StockItem[];
}

/** One reservation with its items in one query; `lock` takes its row lock (FOR UPDATE) first. */
export async function findReservation(tx: Pick<Tx, "$queryRaw">, reservationId: string, { lock = false } = {}): Promise<Reservation | null> {
  if (lock) {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Reservation" WHERE id = ${reservationId} FOR UPDATE`;
    if (!locked) return null;
  }
  const [row] = await tx.$queryRaw<ReservationRow[]>`
    SELECT r.id, r.status::text AS status, r."expiresAt",
           coalesce(json_agg(json_build_object('variantId', i."variantId", 'quantity', i.quantity)) FILTER (WHERE i."variantId" IS NOT NULL), '[]') AS items
    FROM "Reservation" r LEFT JOIN "ReservationItem" i ON i."reservationId" = r.id
    WHERE r.id = ${reservationId} GROUP BY r.id`;
  return row ? { id: row.id, status: row.status, expiresAt: row.expiresAt, items: [...row.items].sort(byVariantId) } : null;
}

export async function setStatus(tx: Tx, reservationIds: readonly string[], status: ReservationStatus, now: Date): Promise<void> {
  await tx.$executeRaw`UPDATE "Reservation" SET status = ${status}::"ReservationStatus", "updatedAt" = ${now} WHERE id = ANY(${[...reservationIds]}::text[])`;
}

/** A StockChanged per change, each at the time its change was stamped with (see changeTime). */
export async function recordStockEvents(tx: Tx, changes: readonly StampedChange[]): Promise<void> {
  await writeOutbox(
    tx,
    Topics.stockChanged,
    changes.map(({ variantId, available, delta, at }) => {
      // Keyed by product: the gateway drops the product's cached answers by this key.
      const productId = productIdOfVariant(variantId);
      return newEvent<StockChangedPayload>(InventoryEventTypes.stockChanged, productId, { variantId, productId, available, delta }, at);
    }),
  );
}
