import pg from "pg";
import { ARCHIVABLE_STATUSES, archiveChecksum } from "../domain/order-archive.js";
import type { ArchiveCandidate, ArchiveLedger } from "../ports/order-archive.js";

// Any fixed number; it names the archive job's session lock.
const JOB_LOCK = 7_312_026;

// The whole order as one JSON text: the row and everything that hangs off it, each list in a
// fixed order, so writing it out twice gives the same text unless something changed.
const DOCUMENT = `jsonb_build_object(
  'order', to_jsonb(o),
  'items', COALESCE((SELECT jsonb_agg(to_jsonb(i) ORDER BY i."variantId") FROM "OrderItem" i WHERE i."orderId" = o.id), '[]'),
  'history', COALESCE((SELECT jsonb_agg(to_jsonb(h) ORDER BY h.at, h.id) FROM "OrderStatusChange" h WHERE h."orderId" = o.id), '[]'),
  'refunds', COALESCE((SELECT jsonb_agg(to_jsonb(r) ORDER BY r."createdAt", r.id) FROM "Refund" r WHERE r."orderId" = o.id), '[]'),
  'returns', COALESCE((SELECT jsonb_agg(to_jsonb(r) || jsonb_build_object('items',
      (SELECT jsonb_agg(to_jsonb(ri) ORDER BY ri."variantId") FROM "ReturnItem" ri WHERE ri."returnId" = r.id)) ORDER BY r."createdAt", r.id)
    FROM "Return" r WHERE r."orderId" = o.id), '[]'),
  'payment', (SELECT to_jsonb(p) || jsonb_build_object(
      'refunds', (SELECT jsonb_agg(to_jsonb(pr) ORDER BY pr."createdAt", pr.id) FROM "PaymentRefund" pr WHERE pr."paymentId" = p.id),
      'attempts', (SELECT jsonb_agg(to_jsonb(pa) ORDER BY pa.kind, pa.number) FROM "PaymentAttempt" pa WHERE pa."paymentId" = p.id))
    FROM "Payment" p WHERE p."orderId" = o.id)
)::text`;

// Nothing still moving: no refund being paid, no return awaiting a decision, no payment in flight.
const SETTLED = `
  NOT EXISTS (SELECT 1 FROM "Refund" r WHERE r."orderId" = o.id AND r.status = 'PENDING')
  AND NOT EXISTS (SELECT 1 FROM "Return" r WHERE r."orderId" = o.id AND r.status = 'REQUESTED')
  AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."orderId" = o.id AND (p.status = 'PENDING' OR p."leaseUntil" > now()
    OR EXISTS (SELECT 1 FROM "PaymentRefund" pr WHERE pr."paymentId" = p.id AND pr.status = 'PENDING')))`;

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
        `SELECT o.id, o."userId", o."createdAt", o.status::text AS status, ${DOCUMENT} AS document
         FROM "Order" o
         WHERE o."createdAt" >= $1 AND o."createdAt" < $2
           AND (o.status::text = ANY($3) OR (o.status IN ('DELIVERED', 'PARTIALLY_REFUNDED') AND COALESCE(o."deliveredAt", o."updatedAt") < $4))
           AND ${SETTLED}
         ORDER BY o.id LIMIT $5`,
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
        const { rows } = await client.query<{ id: string; document: string }>(
          `WITH locked AS (SELECT id FROM "Order" WHERE id = ANY($1) FOR UPDATE)
           SELECT o.id, ${DOCUMENT} AS document FROM "Order" o JOIN locked USING (id)`,
          [ids],
        );
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
        // The payment's refunds and attempts go with it; lines, history, refunds and returns with the order.
        await client.query(`DELETE FROM "Payment" WHERE "orderId" = ANY($1)`, [ids]);
        await client.query(`DELETE FROM "Order" WHERE id = ANY($1)`, [ids]);
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
