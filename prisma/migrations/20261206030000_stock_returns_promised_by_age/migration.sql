-- The pending-order reconciler looks for sold units promised back to stock a while ago (a cancel,
-- a PAID order refunded in full, an approved return) that the inventory never recorded (their
-- StockReturnRequested was lost on the way): one index range each.
CREATE INDEX "OrderStatusChange_to_at_idx" ON "OrderStatusChange"("to", "at");

CREATE INDEX "Return_status_decidedAt_idx" ON "Return"("status", "decidedAt");
