-- Guest carts: a cart keyed by the hash of an anonymous cart token is marked, so the sweep
-- finds the idle ones by (guest, updatedAt) without reading customers' carts.
ALTER TABLE "Cart" ADD COLUMN "guest" BOOLEAN NOT NULL DEFAULT false;

CREATE INDEX "Cart_guest_updatedAt_idx" ON "Cart"("guest", "updatedAt");
