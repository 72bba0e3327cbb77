-- requestReturn takes the customer's idempotency key: a retry under it answers with the return
-- it made, and the unique (order, key) lets one of concurrent requests under a key create it.
-- Returns from before carry no key (NULL), and NULLs never collide, so the index cannot fail on
-- existing rows; a request without a key is a new return each time, as before.

-- AlterTable
ALTER TABLE "Return" ADD COLUMN     "idempotencyKey" TEXT,
ADD COLUMN     "requestHash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Return_orderId_idempotencyKey_key" ON "Return"("orderId", "idempotencyKey");
