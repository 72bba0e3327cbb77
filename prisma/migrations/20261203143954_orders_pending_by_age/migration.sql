-- The pending-order reconciler looks for orders still PENDING a while after checkout (their
-- payment outcome was lost on the way): one index range per partition, whatever the history.
CREATE INDEX "Order_status_createdAt_idx" ON "Order"("status", "createdAt");
