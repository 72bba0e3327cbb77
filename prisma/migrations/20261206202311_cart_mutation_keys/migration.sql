-- Idempotency keys of cart mutations (addToCart, updateCartItem, removeFromCart,
-- acceptCartPrices): a request retried after its answer was lost (a flaky network, a gateway
-- restart, the client's own retry) added its units twice, removed a line added again since in
-- another tab, or accepted prices that moved since. A key is written with the change it made,
-- under the cart's row lock, and goes with its cart (a merged or swept guest cart).
-- CreateTable
CREATE TABLE "CartMutationKey" (
    "userId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CartMutationKey_pkey" PRIMARY KEY ("userId","key")
);

-- AddForeignKey
ALTER TABLE "CartMutationKey" ADD CONSTRAINT "CartMutationKey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "Cart"("userId") ON DELETE CASCADE ON UPDATE CASCADE;
