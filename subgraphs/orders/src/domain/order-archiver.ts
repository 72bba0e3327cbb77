import { randomUUID } from "node:crypto";
import { archiveChecksum, archiveCutoff, monthOf } from "./order-archive.js";
import type { ArchiveFiles, ArchiveLedger } from "../ports/order-archive.js";

/** Where a batch is; the job reports each step, so a test can stop it at any of them. */
export type ArchiveStep = "selected" | "written" | "verified" | "published";

export interface ArchiveRunOptions {
  now: Date;
  /** Orders placed more than this many days ago are archived. */
  afterDays: number;
  /** Delivered orders stay until their return window closed. */
  returnWindowDays: number;
  /** Orders per file. */
  batchSize: number;
  onStep?: (step: ArchiveStep, batch: { month: string; objectKey: string; orders: number }) => void | Promise<void>;
}

export interface ArchiveRunResult {
  months: number;
  batches: number;
  orders: number;
  bytes: number;
  /** Batches not published because an order changed while its file was written (retried next run). */
  changed: number;
  /** Files of earlier runs that never got published, removed. */
  sweptFiles: number;
}

/**
 * Moves old, settled orders to archive files, month by month, batch by batch:
 *   1. select up to batchSize archivable orders of the month (each a JSON document);
 *   2. write them as one Parquet file under a key no reader knows yet;
 *   3. read the stored file back and compare the row count and the checksum;
 *   4. publish: in one PostgreSQL transaction, check the orders are unchanged, record the
 *      file and each order in the directory, delete the orders.
 * A kill before 4 commits leaves the orders in PostgreSQL and an unpublished file, which the
 * next run removes before it starts; a kill after leaves them archived. Either way each order
 * is in exactly one place, and a rerun carries on where the last one stopped.
 */
export async function archiveOrders(deps: { ledger: ArchiveLedger; files: ArchiveFiles }, options: ArchiveRunOptions): Promise<ArchiveRunResult> {
  const { ledger, files } = deps;
  const result: ArchiveRunResult = { months: 0, batches: 0, orders: 0, bytes: 0, changed: 0, sweptFiles: 0 };
  if (!(await ledger.lock())) throw new Error("Another archive job is running");

  // Files a killed run wrote but never published: nobody reads them; we hold the lock, so no
  // running job is about to publish one.
  const published = await ledger.publishedKeys();
  for (const key of await files.list()) {
    if (published.has(key)) continue;
    await files.remove(key);
    result.sweptFiles += 1;
  }

  const cutoff = archiveCutoff(options.now, options.afterDays);
  const returnWindowClosedBefore = archiveCutoff(options.now, options.returnWindowDays);
  const first = await ledger.firstMonth();
  if (!first) return result;
  for (let month = first; month <= monthOf(cutoff); month = followingMonth(month)) {
    let archivedThisMonth = 0;
    for (;;) {
      const orders = await ledger.candidates(month, cutoff, returnWindowClosedBefore, options.batchSize);
      if (orders.length === 0) break;
      const batch = { id: randomUUID(), month, objectKey: "", checksum: archiveChecksum(orders), bytes: 0, orders };
      batch.objectKey = files.keyFor(month, batch.id);
      const progress = { month, objectKey: batch.objectKey, orders: orders.length };
      await options.onStep?.("selected", progress);
      batch.bytes = await files.write(batch.objectKey, orders);
      await options.onStep?.("written", progress);
      const stored = await files.readAll(batch.objectKey);
      if (stored.length !== orders.length || archiveChecksum(stored) !== batch.checksum) {
        await files.remove(batch.objectKey);
        throw new Error(`Archive file ${batch.objectKey} does not read back as written (${stored.length} of ${orders.length} rows)`);
      }
      await options.onStep?.("verified", progress);
      if ((await ledger.publish(batch)) === "changed") {
        // Something changed under the batch: keep the orders, drop the file, leave the month to the next run.
        await files.remove(batch.objectKey);
        result.changed += 1;
        break;
      }
      await options.onStep?.("published", progress);
      result.batches += 1;
      result.orders += orders.length;
      result.bytes += batch.bytes;
      archivedThisMonth += orders.length;
      if (orders.length < options.batchSize) break;
    }
    if (archivedThisMonth > 0) result.months += 1;
  }
  return result;
}

function followingMonth(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, "0")}`;
}
