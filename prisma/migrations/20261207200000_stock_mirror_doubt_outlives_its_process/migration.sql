-- A process that doubts the stock mirror (a write of unknown outcome: a give-back whose record
-- and counter write both failed) rebuilds it; killed before its rebuild began, its doubt died
-- with it, and the next process adopted a mirror short of those units. The doubt is now kept
-- here, against the epoch it doubted: a process adopts a mirror only at an epoch no one doubted,
-- and the next rebuild's new epoch leaves the old doubt behind.
ALTER TABLE "StockMirrorEpoch" ADD COLUMN "doubtedEpoch" TEXT;
