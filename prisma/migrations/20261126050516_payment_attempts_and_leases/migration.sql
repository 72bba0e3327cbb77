-- Every new Payment column is nullable: rows written before this migration keep working, and
-- the idempotency key is set at their next charge attempt (all NULL now, so unique holds).
-- CreateEnum
CREATE TYPE "PaymentAttemptKind" AS ENUM ('CHARGE', 'REFUND');

-- CreateEnum
CREATE TYPE "PaymentAttemptOutcome" AS ENUM ('SUCCEEDED', 'DECLINED', 'TRANSIENT_FAILURE', 'TIMEOUT', 'REJECTED');

-- AlterEnum
ALTER TYPE "PaymentStatus" ADD VALUE 'REFUNDED';

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "leaseUntil" TIMESTAMP(3),
ADD COLUMN     "providerIdempotencyKey" TEXT,
ADD COLUMN     "refundRef" TEXT,
ADD COLUMN     "refundRequestedAt" TIMESTAMP(3),
ADD COLUMN     "refundedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "PaymentAttempt" (
    "paymentId" TEXT NOT NULL,
    "kind" "PaymentAttemptKind" NOT NULL,
    "number" INTEGER NOT NULL,
    "outcome" "PaymentAttemptOutcome",
    "detail" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "PaymentAttempt_pkey" PRIMARY KEY ("paymentId","kind","number")
);

-- CreateIndex
CREATE UNIQUE INDEX "Payment_providerIdempotencyKey_key" ON "Payment"("providerIdempotencyKey");

-- CreateIndex
CREATE INDEX "Payment_status_updatedAt_idx" ON "Payment"("status", "updatedAt");

-- AddForeignKey
ALTER TABLE "PaymentAttempt" ADD CONSTRAINT "PaymentAttempt_paymentId_fkey" FOREIGN KEY ("paymentId") REFERENCES "Payment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
