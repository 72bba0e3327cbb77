-- The pending-order reconciler looks for refunds still PENDING a while after they were asked
-- for (their RefundRequested or PaymentRefunded was lost on the way): one index range.
CREATE INDEX "Refund_status_createdAt_idx" ON "Refund"("status", "createdAt");
