-- When the late-capture sweep last asked the provider about a FAILED payment whose charge calls
-- may have taken money: a capture can land (or show in the provider's search) after the failure
-- was decided. Only the sweep writes it, so a payment failed by an older process during a
-- rolling deploy is found all the same (the sweep reads the status and the attempt log).
ALTER TABLE "Payment" ADD COLUMN "lateCaptureCheckedAt" TIMESTAMP(3);
