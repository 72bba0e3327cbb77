-- Payments hash-partitioned by customer ("userId") like the orders they pay for: "Payment", its
-- provider calls ("PaymentAttempt") and its refunds ("PaymentRefund"), 16 partitions each with
-- the same modulus, so a customer's orders and payments have the same remainder and move to
-- another server together (scripts/orders/remote-shards.ts).
--
-- Every unique index of a partitioned table must contain the partition key:
-- - "Payment": (id, "userId"); one payment per order is ("orderId", "userId") unique plus a
--   foreign key on ("orderId", "userId") to the order's locator row, whose id is unique
--   everywhere: an order id names one customer, so one payment per order id, in that
--   customer's partition (a payment filed under another customer than its order's is refused);
-- - "Payment"."providerIdempotencyKey" becomes ("providerIdempotencyKey", "userId"): the key is
--   charge-<payment id>, a function of the payment, so per customer is all the provider needs;
-- - "PaymentAttempt" and "PaymentRefund" carry their payment's customer and reference
--   (id, "userId"); a refund's id and provider key are unique per customer (a refund id is the
--   orders subgraph's, unique there, and recorded under its payment's row lock).
--
-- Statements that know only an order id read its "OrderLocator" row first; see the payments
-- store. No SQL function needs redefining: orders_place already writes the payment with its
-- customer, so its INSERT reaches one partition.
--
-- Existing rows are moved in this migration's one transaction: the old tables are renamed,
-- copied into the partitioned ones (attempts and refunds take their payment's customer) and
-- dropped. The renamed tables are locked for the whole copy (ACCESS EXCLUSIVE): see
-- prisma/README.md for running it on a large live table.

ALTER TABLE "PaymentAttempt" DROP CONSTRAINT "PaymentAttempt_paymentId_fkey";
ALTER TABLE "PaymentRefund" DROP CONSTRAINT "PaymentRefund_paymentId_fkey";
ALTER TABLE "Payment" DROP CONSTRAINT "Payment_orderId_fkey";

ALTER TABLE "Payment" RENAME TO "Payment_unpartitioned";
ALTER INDEX "Payment_pkey" RENAME TO "Payment_unpartitioned_pkey";
ALTER INDEX "Payment_orderId_key" RENAME TO "Payment_unpartitioned_orderId_key";
ALTER INDEX "Payment_providerIdempotencyKey_key" RENAME TO "Payment_unpartitioned_providerIdempotencyKey_key";
ALTER INDEX "Payment_status_updatedAt_idx" RENAME TO "Payment_unpartitioned_status_updatedAt_idx";
ALTER TABLE "PaymentAttempt" RENAME TO "PaymentAttempt_unpartitioned";
ALTER INDEX "PaymentAttempt_pkey" RENAME TO "PaymentAttempt_unpartitioned_pkey";
ALTER TABLE "PaymentRefund" RENAME TO "PaymentRefund_unpartitioned";
ALTER INDEX "PaymentRefund_pkey" RENAME TO "PaymentRefund_unpartitioned_pkey";
ALTER INDEX "PaymentRefund_providerIdempotencyKey_key" RENAME TO "PaymentRefund_unpartitioned_providerIdempotencyKey_key";
ALTER INDEX "PaymentRefund_paymentId_status_idx" RENAME TO "PaymentRefund_unpartitioned_paymentId_status_idx";
ALTER TABLE "PaymentRefund_unpartitioned" RENAME CONSTRAINT "PaymentRefund_amount_positive" TO "PaymentRefund_unpartitioned_amount_positive";

-- The target of the payments' foreign key; the locator's id alone stays its primary key.
CREATE UNIQUE INDEX "OrderLocator_id_userId_key" ON "OrderLocator"("id", "userId");

CREATE TABLE "Payment" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "status" "PaymentStatus" NOT NULL DEFAULT 'PENDING',
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "providerRef" TEXT,
    "failureReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "providerIdempotencyKey" TEXT,
    "refundRef" TEXT,
    "refundRequestedAt" TIMESTAMP(3),
    "refundedAt" TIMESTAMP(3),
    "paymentMethod" TEXT,
    CONSTRAINT "Payment_pkey" PRIMARY KEY ("id", "userId")
) PARTITION BY HASH ("userId");

CREATE TABLE "PaymentAttempt" (
    "paymentId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "kind" "PaymentAttemptKind" NOT NULL,
    "number" INTEGER NOT NULL,
    "outcome" "PaymentAttemptOutcome",
    "detail" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    CONSTRAINT "PaymentAttempt_pkey" PRIMARY KEY ("paymentId", "userId", "kind", "number")
) PARTITION BY HASH ("userId");

CREATE TABLE "PaymentRefund" (
    "id" TEXT NOT NULL,
    "paymentId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" "PaymentRefundStatus" NOT NULL DEFAULT 'PENDING',
    "providerIdempotencyKey" TEXT NOT NULL,
    "providerRef" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "refundedAt" TIMESTAMP(3),
    CONSTRAINT "PaymentRefund_amount_positive" CHECK ("amount" > 0),
    CONSTRAINT "PaymentRefund_pkey" PRIMARY KEY ("id", "userId")
) PARTITION BY HASH ("userId");

DO $$
BEGIN
  FOR remainder IN 0..15 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "Payment" FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'Payment_p' || remainder, remainder);
    EXECUTE format('CREATE TABLE %I PARTITION OF "PaymentAttempt" FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'PaymentAttempt_p' || remainder, remainder);
    EXECUTE format('CREATE TABLE %I PARTITION OF "PaymentRefund" FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'PaymentRefund_p' || remainder, remainder);
  END LOOP;
END
$$;

INSERT INTO "Payment" ("id", "orderId", "userId", "status", "amount", "currency", "attempts", "providerRef", "failureReason", "createdAt", "updatedAt",
                       "leaseOwner", "leaseUntil", "providerIdempotencyKey", "refundRef", "refundRequestedAt", "refundedAt", "paymentMethod")
SELECT "id", "orderId", "userId", "status", "amount", "currency", "attempts", "providerRef", "failureReason", "createdAt", "updatedAt",
       "leaseOwner", "leaseUntil", "providerIdempotencyKey", "refundRef", "refundRequestedAt", "refundedAt", "paymentMethod"
FROM "Payment_unpartitioned";
INSERT INTO "PaymentAttempt" ("paymentId", "userId", "kind", "number", "outcome", "detail", "startedAt", "finishedAt")
SELECT a."paymentId", p."userId", a."kind", a."number", a."outcome", a."detail", a."startedAt", a."finishedAt"
FROM "PaymentAttempt_unpartitioned" a JOIN "Payment_unpartitioned" p ON p."id" = a."paymentId";
INSERT INTO "PaymentRefund" ("id", "paymentId", "userId", "amount", "currency", "status", "providerIdempotencyKey", "providerRef", "createdAt", "refundedAt")
SELECT r."id", r."paymentId", p."userId", r."amount", r."currency", r."status", r."providerIdempotencyKey", r."providerRef", r."createdAt", r."refundedAt"
FROM "PaymentRefund_unpartitioned" r JOIN "Payment_unpartitioned" p ON p."id" = r."paymentId";

DROP TABLE "PaymentAttempt_unpartitioned";
DROP TABLE "PaymentRefund_unpartitioned";
DROP TABLE "Payment_unpartitioned";

-- Indexes after the copy: built once per partition instead of updated row by row.
CREATE UNIQUE INDEX "Payment_orderId_userId_key" ON "Payment"("orderId", "userId");
CREATE UNIQUE INDEX "Payment_providerIdempotencyKey_userId_key" ON "Payment"("providerIdempotencyKey", "userId");
CREATE INDEX "Payment_status_updatedAt_idx" ON "Payment"("status", "updatedAt");
CREATE UNIQUE INDEX "PaymentRefund_providerIdempotencyKey_userId_key" ON "PaymentRefund"("providerIdempotencyKey", "userId");
CREATE INDEX "PaymentRefund_paymentId_userId_status_idx" ON "PaymentRefund"("paymentId", "userId", "status");

ALTER TABLE "Payment" ADD CONSTRAINT "Payment_orderId_userId_fkey" FOREIGN KEY ("orderId", "userId") REFERENCES "OrderLocator"("id", "userId") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "PaymentAttempt" ADD CONSTRAINT "PaymentAttempt_paymentId_userId_fkey" FOREIGN KEY ("paymentId", "userId") REFERENCES "Payment"("id", "userId") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PaymentRefund" ADD CONSTRAINT "PaymentRefund_paymentId_userId_fkey" FOREIGN KEY ("paymentId", "userId") REFERENCES "Payment"("id", "userId") ON DELETE CASCADE ON UPDATE CASCADE;
