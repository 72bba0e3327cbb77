-- The inventory's once-only record of units put back ("StockReturn") is needed only while a
-- request to put them back can still come (the redelivery window); every process with an outbox
-- relay now deletes older ones (see kernel/src/relational/outbox-retention.ts). The deletion
-- reads them by age.
CREATE INDEX "StockReturn_createdAt_idx" ON "StockReturn"("createdAt");
