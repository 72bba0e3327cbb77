-- The archive job selects orders month by month (createdAt ranges).

-- CreateIndex
CREATE INDEX "Order_createdAt_idx" ON "Order"("createdAt");
