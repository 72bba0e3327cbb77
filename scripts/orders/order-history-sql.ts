/**
 * SQL that builds generated order history inside PostgreSQL: orders numbered lo..hi-1, each a
 * pure function of (seed, number), with their lines, status history and payment. Rows are
 * made by the server from generate_series (multi-row INSERT ... SELECT) into a temporary batch
 * table, then copied into the six tables (the order locator first): no row crosses the network.
 *
 * Shape of the history: `customers` customers, orders spread evenly over `years` ending at
 * `endAt` in number order (number = time order, as real inserts arrive), one to three lines
 * each. Orders older than 30 days are in a final state (mostly DELIVERED, some CANCELLED,
 * PAYMENT_FAILED, REFUNDED); younger ones are PAID, SHIPPED or DELIVERED. A CANCELLED order was
 * cancelled before its charge went through (payment FAILED): nothing was taken, nothing is owed.
 */
export interface HistoryShape {
  seed: number;
  total: number;
  customers: number;
  years: number;
  endAt: Date;
}

/** Bind parameters of FILL_BATCH: $1 lo, $2 hi, $3 seed, $4 total, $5 customers, $6 span (s), $7 end. */
export function historyParameters(shape: HistoryShape, lo: number, hi: number): unknown[] {
  const span = Math.round(shape.years * 365.25 * 86_400);
  return [lo, hi, shape.seed, shape.total, shape.customers, span, shape.endAt.toISOString()];
}

// One row per order number with everything the tables derive from it, computed once per batch.
export const BATCH_TABLE = `CREATE TEMP TABLE o (n bigint, h bigint, created timestamp(3), id text, user_id text, lines int, status "OrderStatus", total int) ON COMMIT DELETE ROWS`;

export const FILL_BATCH = `
  INSERT INTO o
  WITH n AS (
    SELECT g AS n,
      abs(hashtextextended($3::int || ':' || g, 0)) AS h,
      $7::timestamptz AT TIME ZONE 'UTC' - make_interval(secs => $6::float8 * (1 - (g + 0.5) / $4::float8)) AS created
    FROM generate_series($1::bigint, $2::bigint - 1) AS g
  )
  SELECT n, h, created,
    'ord_' || md5('generated:' || $3::int || ':' || n),
    'usr_' || lpad(((h >> 8) % $5::bigint)::text, 9, '0'),
    1 + (h % 3)::int,
    CASE
      WHEN created > $7::timestamptz AT TIME ZONE 'UTC' - interval '30 days' THEN (ARRAY['PAID','SHIPPED','DELIVERED'])[1 + ((h >> 20) % 3)::int]
      WHEN (h >> 20) % 100 < 85 THEN 'DELIVERED'
      WHEN (h >> 20) % 100 < 92 THEN 'CANCELLED'
      WHEN (h >> 20) % 100 < 96 THEN 'PAYMENT_FAILED'
      ELSE 'REFUNDED'
    END::"OrderStatus",
    ((1 + (h % 3)::int) * (500 + ((h >> 12) % 97) * 100)) + 250 * (1 + (h % 3)::int) * (2 + (h % 3)::int) / 2
  FROM n`;

const LINE_PRICE = `(500 + ((o.h >> 12) % 97) * 100 + line * 250)`;

export const INSERT_LOCATORS = `INSERT INTO "OrderLocator" (id, "userId") SELECT o.id, o.user_id FROM o`;

export const INSERT_ORDERS = `
  INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId",
    "createdAt", "updatedAt", "refundedAmount", "deliveredAt")
  SELECT o.id, o.user_id, o.status, 'EUR', o.total, o.total, 'generated-' || o.n, md5(o.id), o.id,
    o.created, o.created + interval '3 days',
    CASE WHEN o.status = 'REFUNDED' THEN o.total ELSE 0 END,
    CASE WHEN o.status IN ('DELIVERED', 'REFUNDED') THEN o.created + interval '3 days' END
  FROM o`;

export const INSERT_ITEMS = `
  INSERT INTO "OrderItem" ("orderId", "userId", "variantId", "productId", name, sku, "variantTitle", "unitAmount", quantity)
  SELECT o.id, o.user_id, 'prd_' || ((o.h >> 12) % 100000 + line) || '_v1', 'prd_' || ((o.h >> 12) % 100000 + line),
    'Product ' || ((o.h >> 12) % 100000 + line), 'SKU-' || ((o.h >> 12) % 100000 + line), 'Product ' || ((o.h >> 12) % 100000 + line),
    ${LINE_PRICE}, 1
  FROM o CROSS JOIN LATERAL generate_series(1, o.lines) AS line`;

export const INSERT_HISTORY = `
  INSERT INTO "OrderStatusChange" (id, "orderId", "userId", "from", "to", reason, at)
  SELECT o.id || ':0', o.id, o.user_id, NULL::"OrderStatus", 'PENDING'::"OrderStatus", NULL, o.created FROM o
  UNION ALL
  SELECT o.id || ':1', o.id, o.user_id, 'PENDING'::"OrderStatus", o.status, NULL, o.created + interval '3 days' FROM o`;

export const INSERT_PAYMENTS = `
  INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt", "refundedAt")
  SELECT 'pay_' || substr(o.id, 5), o.id, o.user_id,
    CASE o.status WHEN 'PAYMENT_FAILED' THEN 'FAILED' WHEN 'CANCELLED' THEN 'FAILED' WHEN 'REFUNDED' THEN 'REFUNDED' ELSE 'SUCCEEDED' END::"PaymentStatus",
    o.total, 'EUR', 1, o.created, o.created + interval '3 days',
    CASE WHEN o.status = 'REFUNDED' THEN o.created + interval '3 days' END
  FROM o`;

export const INSERT_REFUNDS = `
  INSERT INTO "Refund" (id, "orderId", amount, currency, reason, status, "idempotencyKey", "requestHash", "createdAt", "updatedAt", "refundedAt")
  SELECT 'ref_' || substr(o.id, 5), o.id, o.total, 'EUR', 'Refunded in full', 'SUCCEEDED'::"RefundStatus", 'admin-' || o.n, md5('refund:' || o.id),
    o.created + interval '3 days', o.created + interval '3 days', o.created + interval '3 days'
  FROM o
  WHERE o.status = 'REFUNDED'`;

/** The statements that copy a filled batch into the tables, in the order their keys need. */
export const INSERT_HISTORY_BATCH = [INSERT_LOCATORS, INSERT_ORDERS, INSERT_ITEMS, INSERT_HISTORY, INSERT_PAYMENTS, INSERT_REFUNDS];
