import type pg from "pg";

/**
 * The commit gaps of partitions on several servers, found and (where safe) repaired.
 *
 * postgres_fdw commits the coordinator's transaction and each remote one separately, remote
 * first, with no two-phase commit, so a crash between the two can leave:
 * - an order (on a shard) without its locator row (on the coordinator): checkout's remote part
 *   committed, the local one did not. Repaired: the locator row is written back, unless its id
 *   now names another customer's order (then reported: two orders share an id);
 * - a locator row without any order, payment or refund: a deletion (the archive job) whose
 *   remote part committed, the local one did not, or a row written by hand. Repaired: removed,
 *   once older than the grace period, as it names nothing;
 * - a payment without its order: not a commit gap of checkout (a customer's order and payment
 *   are on one server, written in one transaction), so something else went wrong. Reported only:
 *   money is never changed by a repair;
 * - a locator row naming another customer than its order's: reported only.
 *
 * Rows younger than the grace period are left alone: while a transaction commits on two
 * servers, and between the reconciler's own reads of the two (each server answers from its
 * own snapshot), a healthy pair can look like a gap. Each repair re-checks its condition in
 * the statement that makes it, so a run racing checkout or another run repairs nothing twice,
 * and a second run finds nothing left to repair (idempotent).
 *
 * The searches read every partition of the parents (on every server): this is maintenance,
 * run every few minutes, not a request path.
 */
export interface ShardGaps {
  /** Locator rows removed: they named no order, payment or refund. */
  locatorsRemoved: { id: string; userId: string }[];
  /** Orders whose locator row was written back. */
  locatorsRestored: { id: string; userId: string }[];
  /** Gaps left to a person, each with what was found. */
  reported: { kind: "order-id-taken" | "payment-without-order" | "locator-names-another-customer"; id: string; userId: string; detail: string }[];
}

const LOCATOR_NAMES_NOTHING = `
  NOT EXISTS (SELECT 1 FROM "Order" o WHERE o.id = l.id AND o."userId" = l."userId")
  AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."orderId" = l.id AND p."userId" = l."userId")
  AND NOT EXISTS (SELECT 1 FROM "Refund" r WHERE r."orderId" = l.id)`;

const OLDER = (column: string) => `${column} < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1::float8 / 1000)`;

/** One pass over the coordinator's database (`client`): repairs what is safe, reports the rest. */
export async function reconcileShardGaps(client: pg.Client, { graceMs }: { graceMs: number }): Promise<ShardGaps> {
  const gaps: ShardGaps = { locatorsRemoved: [], locatorsRestored: [], reported: [] };

  // Orders without a locator: the locator comes back (the order's customer is the truth: its rows
  // are partitioned by it). ON CONFLICT leaves an id another customer holds to the report below.
  const restored = await client.query<{ id: string; userId: string }>(
    `INSERT INTO "OrderLocator" (id, "userId", "createdAt")
     SELECT o.id, o."userId", o."createdAt" FROM "Order" o
     WHERE ${OLDER('o."createdAt"')} AND NOT EXISTS (SELECT 1 FROM "OrderLocator" l WHERE l.id = o.id)
     ON CONFLICT (id) DO NOTHING
     RETURNING id, "userId"`,
    [graceMs],
  );
  gaps.locatorsRestored = restored.rows;

  // Locators naming nothing: removed, the condition checked again by the DELETE itself.
  const removed = await client.query<{ id: string; userId: string }>(
    `DELETE FROM "OrderLocator" l WHERE ${OLDER('l."createdAt"')} AND ${LOCATOR_NAMES_NOTHING} RETURNING id, "userId"`,
    [graceMs],
  );
  gaps.locatorsRemoved = removed.rows;

  const mismatched = await client.query<{ id: string; userId: string; other: string }>(
    `SELECT o.id, o."userId", l."userId" AS other FROM "Order" o JOIN "OrderLocator" l ON l.id = o.id
     WHERE l."userId" <> o."userId" AND ${OLDER('o."createdAt"')} ORDER BY o.id`,
    [graceMs],
  );
  for (const row of mismatched.rows) {
    // An order whose id another customer's locator holds: either two orders share the id (one
    // of them lost its locator to the other) or the locator is wrong; a person decides.
    const theirs = await client.query(`SELECT 1 FROM "Order" WHERE id = $1 AND "userId" = $2`, [row.id, row.other]);
    gaps.reported.push(
      theirs.rowCount
        ? { kind: "order-id-taken", id: row.id, userId: row.userId, detail: `customer ${row.other} has an order with this id too; the locator names theirs` }
        : { kind: "locator-names-another-customer", id: row.id, userId: row.userId, detail: `the locator names customer ${row.other}, who has no such order` },
    );
  }

  const unpaid = await client.query<{ id: string; orderId: string; userId: string; status: string; amount: number; currency: string }>(
    `SELECT p.id, p."orderId", p."userId", p.status::text AS status, p.amount, p.currency FROM "Payment" p
     WHERE ${OLDER('p."createdAt"')} AND NOT EXISTS (SELECT 1 FROM "Order" o WHERE o.id = p."orderId" AND o."userId" = p."userId")
     ORDER BY p.id`,
    [graceMs],
  );
  for (const p of unpaid.rows) {
    gaps.reported.push({ kind: "payment-without-order", id: p.id, userId: p.userId, detail: `payment of order ${p.orderId}, ${p.status}, ${p.amount} ${p.currency}` });
  }
  return gaps;
}
