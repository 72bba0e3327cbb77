-- CreateTable
CREATE TABLE "StockMirrorEpoch" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "epoch" TEXT NOT NULL,
    "rebuiltAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StockMirrorEpoch_pkey" PRIMARY KEY ("id")
);

-- Hand-written: the guarantees the inventory relies on, enforced by the database itself so
-- that no code path (or manual fix) can oversell or hold a negative quantity.
ALTER TABLE "StockLevel" ADD CONSTRAINT "StockLevel_available_non_negative" CHECK ("available" >= 0);
ALTER TABLE "StockLevel" ADD CONSTRAINT "StockLevel_reserved_non_negative" CHECK ("reserved" >= 0);
ALTER TABLE "ReservationItem" ADD CONSTRAINT "ReservationItem_quantity_positive" CHECK ("quantity" > 0);

-- The mirror fence has exactly one row; "none" matches no mirror, so the first process to
-- use Redis rebuilds it from this database before trusting it.
ALTER TABLE "StockMirrorEpoch" ADD CONSTRAINT "StockMirrorEpoch_single_row" CHECK ("id" = 1);
INSERT INTO "StockMirrorEpoch" ("id", "epoch") VALUES (1, 'none');
