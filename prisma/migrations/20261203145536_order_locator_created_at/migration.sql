-- When each locator row was written, so the shard reconciler (scripts/orders/reconcile-shards.ts)
-- can leave alone a row younger than its grace period: with partitions on other servers, a
-- locator row and its order commit on different servers, and a reader can see one before the
-- other for a moment. Existing rows take the time of this migration (a constant default: no
-- table rewrite), so their grace starts now.
ALTER TABLE "OrderLocator" ADD COLUMN "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
