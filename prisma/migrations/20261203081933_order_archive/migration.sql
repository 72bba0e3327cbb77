-- Archived orders: the directory (ArchivedOrder) and the manifest of Parquet files (OrderArchiveBatch)
-- that the archive job writes in the same transaction as it deletes the orders it archived.

-- CreateTable
CREATE TABLE "ArchivedOrder" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "status" "OrderStatus" NOT NULL,
    "batchId" TEXT NOT NULL,

    CONSTRAINT "ArchivedOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderArchiveBatch" (
    "id" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "orderCount" INTEGER NOT NULL,
    "checksum" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "archivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrderArchiveBatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ArchivedOrder_userId_createdAt_idx" ON "ArchivedOrder"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "ArchivedOrder_batchId_idx" ON "ArchivedOrder"("batchId");

-- CreateIndex
CREATE UNIQUE INDEX "OrderArchiveBatch_objectKey_key" ON "OrderArchiveBatch"("objectKey");

-- CreateIndex
CREATE INDEX "OrderArchiveBatch_month_idx" ON "OrderArchiveBatch"("month");

-- AddForeignKey
ALTER TABLE "ArchivedOrder" ADD CONSTRAINT "ArchivedOrder_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "OrderArchiveBatch"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
