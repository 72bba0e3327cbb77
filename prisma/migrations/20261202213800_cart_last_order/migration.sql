-- AlterTable
ALTER TABLE "Cart" ADD COLUMN     "lastOrderId" TEXT;
