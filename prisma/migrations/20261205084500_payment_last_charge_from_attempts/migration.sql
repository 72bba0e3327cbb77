-- When a payment was last charged is read from its attempt log instead: the column added by
-- 20261205080000 stayed empty for calls made before it and for those an older process makes
-- during a rolling deploy, and such a payment, read as "called just now" on every drive, was
-- never settled once it had been tried for long enough. Nothing reads or writes the column.
ALTER TABLE "Payment" DROP COLUMN "lastChargeAt";
