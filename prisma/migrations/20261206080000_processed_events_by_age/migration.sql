-- A consumer's record of an event it applied ("ProcessedEvent") is needed only while the bus
-- can still hand that event over again; every process with an outbox relay now deletes older
-- ones (see kernel/src/relational/outbox-retention.ts). The deletion reads them by age.
CREATE INDEX "ProcessedEvent_processedAt_idx" ON "ProcessedEvent"("processedAt");
