-- Orders never paid for (payment declined, or cancelled) whose items addOrderToCart put back
-- in a cart: tab A put a declined order's items back and checked out, then tab B put them back
-- again in the emptied cart and the customer could buy a second time from one intent. The row is
-- written under the cart's lock with the lines it put back; a later put-back finds it and adds
-- nothing.
-- CreateTable
CREATE TABLE "CartOrderPutBack" (
    "userId" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CartOrderPutBack_pkey" PRIMARY KEY ("userId","orderId")
);

-- AddForeignKey
ALTER TABLE "CartOrderPutBack" ADD CONSTRAINT "CartOrderPutBack_userId_fkey" FOREIGN KEY ("userId") REFERENCES "Cart"("userId") ON DELETE CASCADE ON UPDATE CASCADE;
