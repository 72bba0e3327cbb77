import pg from "pg";
import { ARCHIVABLE_STATUSES, archiveChecksum } from "../domain/order-archive.js";
import type { ArchiveCandidate, ArchiveLedger } from "../ports/order-archive.js";

// Any fixed number; it names the archive job's session lock.
const JOB_LOCK = 7_312_026;

// Whole orders as JSON text: each order row (from `selected`, a query over "Order" giving
// o.*) and everything that hangs off it, each list in a fixed order, so writing an order out
// twice gives the same text unless something changed. Set-based (one aggregate per table over
// the batch), not a subquery per order: a batch of 50,000 is a few hash joins.
const documents = (selected: string) => `
  WITH o AS MATERIALIZED (${selected}),
  items AS (SELECT i."orderId", jsonb_agg(to_jsonb(i) ORDER BY i."variantId") AS list FROM "OrderItem" i WHERE i."orderId" IN (SELECT id FROM o) GROUP BY 1),
  history AS (SELECT h."orderId", jsonb_agg(to_jsonb(h) ORDER BY h.at, h.id) AS list FROM "OrderStatusChange" h WHERE h."orderId" IN (SELECT id FROM o) GROUP BY 1),
  refunds AS (SELECT r."orderId", jsonb_agg(to_jsonb(r) ORDER BY r."createdAt", r.id) AS list FROM "Refund" r WHERE r."orderId" IN (SELECT id FROM o) GROUP BY 1),
  return_items AS (SELECT ri."returnId", jsonb_agg(to_jsonb(ri) ORDER BY ri."variantId") AS list FROM "ReturnItem" ri
    WHERE ri."returnId" IN (SELECT id FROM "Return" WHERE "orderId" IN (SELECT id FROM o)) GROUP BY 1),
  returns AS (SELECT r."orderId", jsonb_agg(to_jsonb(r) || jsonb_build_object('items', ri.list) ORDER BY r."createdAt", r.id) AS list
    FROM "Return" r LEFT JOIN return_items ri ON ri."returnId" = r.id WHERE r."orderId" IN (SELECT id FROM o) GROUP BY 1),
  payment_ids AS (SELECT id FROM "Payment" WHERE "orderId" IN (SELECT id FROM o)),
  payment_refunds AS (SELECT pr."paymentId", jsonb_agg(to_jsonb(pr) ORDER BY pr."createdAt", pr.id) AS list FROM "PaymentRefund" pr WHERE pr."paymentId" IN (SELECT id FROM payment_ids) GROUP BY 1),
  payment_attempts AS (SELECT pa."paymentId", jsonb_agg(to_jsonb(pa) ORDER BY pa.kind, pa.number) AS list FROM "PaymentAttempt" pa WHERE pa."paymentId" IN (SELECT id FROM payment_ids) GROUP BY 1),
  payments AS (SELECT p."orderId", to_jsonb(p) || jsonb_build_object('refunds', pr.list, 'attempts', pa.list) AS doc
    FROM "Payment" p LEFT JOIN payment_refunds pr ON pr."paymentId" = p.id LEFT JOIN payment_attempts pa ON pa."paymentId" = p.id
    WHERE p."orderId" IN (SELECT id FROM o))
  SELECT o.id, o."userId", o."createdAt", o.status::text AS status, jsonb_build_object(
    'order', to_jsonb(o),
    'items', COALESCE(items.list, '[]'),
    'history', COALESCE(history.list, '[]'),
    'refunds', COALESCE(refunds.list, '[]'),
    'returns', COALESCE(returns.list, '[]'),
    'payment', payments.doc
  )::text AS document
  FROM o LEFT JOIN items ON items."orderId" = o.id LEFT JOIN history ON history."orderId" = o.id LEFT JOIN refunds ON refunds."orderId" = o.id
    LEFT JOIN returns ON returns."orderId" = o.id LEFT JOIN payments ON payments."orderId" = o.id
  ORDER BY o.id`;

// Nothing still moving: no refund being paid, no return awaiting a decision, no payment in flight,
// and no money kept for an order that never shipped. A customer may cancel while the charge is
// in flight; the provider's capture then settles the payment SUCCEEDED before its confirmation
// reaches the order (which asks for the refund). Archived in between, the order was gone when the
// confirmation came, so the refund was never asked for. Such an order stays until the refunds
// it promised cover what its payment took (and, by the first clause, they have been paid).
const SETTLED = `
  NOT EXISTS (SELECT 1 FROM "Refund" r WHERE r."orderId" = o.id AND r.status = 'PENDING')
  AND NOT EXISTS (SELECT 1 FROM "Return" r WHERE r."orderId" = o.id AND r.status = 'REQUESTED')
  AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."orderId" = o.id AND (p.status = 'PENDING' OR p."leaseUntil" > now()
    OR EXISTS (SELECT 1 FROM "PaymentRefund" pr WHERE pr."paymentId" = p.id AND pr.status = 'PENDING')
    OR (o.status IN ('CANCELLED', 'PAYMENT_FAILED') AND p.status = 'SUCCEEDED' AND p.amount > o."refundedAmount")))`;

const FINAL = ARCHIVABLE_STATUSES.filter((s) => s !== "DELIVERED" && s !== "PARTIALLY_REFUNDED");

interface CandidateRow {
  id: string;
  userId: string;
  createdAt: Date;
  status: ArchiveCandidate["status"];
  document: string;
}

const monthStart = (month: string) => new Date(`${month}-01T00:00:00.000Z`);
const nextMonth = (month: string) => {
  const start = monthStart(month);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
};

/** The archive job's ledger on one PostgreSQL connection of its own (the session lock lives on it). */
export async function openPostgresArchiveLedger(databaseUrl: string): Promise<ArchiveLedger> {
  // timestamp(3) columns are UTC instants: read them as such, whatever the machine's zone.
  const client = new pg.Client({ connectionString: databaseUrl, types: { getTypeParser: ((oid: number, format?: string) => (oid === 1114 ? (v: string) => new Date(`${v.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format as "text"))) as typeof pg.types.getTypeParser } });
  await client.connect();
  await client.query("SET TIME ZONE 'UTC'");

  return {
    async lock() {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [JOB_LOCK]);
      return rows[0]!.locked;
    },

    async firstMonth() {
      const { rows } = await client.query<{ month: string | null }>(`SELECT to_char(min("createdAt"), 'YYYY-MM') AS month FROM "Order"`);
      return rows[0]!.month;
    },

    async candidates(month, cutoff, returnWindowClosedBefore, limit) {
      const end = new Date(Math.min(nextMonth(month).getTime(), cutoff.getTime()));
      const { rows } = await client.query<CandidateRow>(
        documents(`SELECT o.* FROM "Order" o
          WHERE o."createdAt" >= $1 AND o."createdAt" < $2
            AND (o.status::text = ANY($3) OR (o.status IN ('DELIVERED', 'PARTIALLY_REFUNDED') AND COALESCE(o."deliveredAt", o."updatedAt") < $4))
            AND ${SETTLED}
          ORDER BY o.id LIMIT $5`),
        [monthStart(month), end, FINAL, returnWindowClosedBefore, limit],
      );
      return rows;
    },

    async publish(batch) {
      const ids = batch.orders.map((o) => o.id);
      await client.query("BEGIN");
      try {
        // Locked, then written out again: a change since the file was written (a refund, a
        // status) gives another checksum and the batch is not published.
        const { rows } = await client.query<{ id: string; document: string }>(documents(`SELECT * FROM "Order" WHERE id = ANY($1) FOR UPDATE`), [ids]);
        if (rows.length !== ids.length || archiveChecksum(rows) !== batch.checksum) {
          await client.query("ROLLBACK");
          return "changed";
        }
        await client.query(`INSERT INTO "OrderArchiveBatch" (id, month, "objectKey", "orderCount", checksum, bytes) VALUES ($1, $2, $3, $4, $5, $6)`, [
          batch.id,
          batch.month,
          batch.objectKey,
          ids.length,
          batch.checksum,
          batch.bytes,
        ]);
        await client.query(
          `INSERT INTO "ArchivedOrder" (id, "userId", "createdAt", status, "batchId")
           SELECT id, "userId", "createdAt", status, $1 FROM "Order" WHERE id = ANY($2)`,
          [batch.id, ids],
        );
        // The payment's refunds and attempts go with it; with the order's locator go the order
        // (then its lines, history and returns) and its refunds.
        await client.query(`DELETE FROM "Payment" WHERE "orderId" = ANY($1)`, [ids]);
        await client.query(`DELETE FROM "OrderLocator" WHERE id = ANY($1)`, [ids]);
        await client.query("COMMIT");
        return "published";
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    },

    async publishedKeys() {
      const { rows } = await client.query<{ objectKey: string }>(`SELECT "objectKey" FROM "OrderArchiveBatch"`);
      return new Set(rows.map((r) => r.objectKey));
    },

    close: () => client.end(),
  };
}
