-- When a payment's charge was last called: a provider's charge search can miss a capture made
-- in the last minute or so, so "no charge found" only fails a payment whose last call is older
-- than that. Nullable: rows from before have none, and are treated as called just now.
ALTER TABLE "Payment" ADD COLUMN "lastChargeAt" TIMESTAMP(3);
