-- CartItem has no rows in any deployment yet, so the accepted price can be required at once.
-- AlterTable
ALTER TABLE "CartItem" ADD COLUMN     "currency" TEXT NOT NULL,
ADD COLUMN     "unitAmount" INTEGER NOT NULL;

-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "statusReason" TEXT;

-- AlterTable
ALTER TABLE "OrderStatusChange" ADD COLUMN     "reason" TEXT;
