import type { OrderStatus } from "../domain/order.js";
import type { ArchiveRow } from "../domain/order-archive.js";
import type { OrderPosition } from "./order-store.js";

/** An order the job may archive, as read from PostgreSQL. */
export interface ArchiveCandidate extends ArchiveRow {
  status: OrderStatus;
}

/** A verified file and the orders it holds, ready to be published. */
export interface ArchiveBatch {
  id: string;
  month: string;
  objectKey: string;
  checksum: string;
  bytes: number;
  orders: readonly ArchiveCandidate[];
}

/**
 * The relational side of archiving (PostgreSQL), for the one archive job. Guarantees:
 * - `lock` is held by one job at a time (a session lock: a killed job's lock goes with its
 *   connection);
 * - `publish` is one transaction: with the orders locked, it writes them out again and
 *   publishes only when they still are exactly what the file holds (same checksum), then
 *   records the batch and its directory rows and deletes the orders with everything that
 *   hangs off them. Committed: the orders are in the archive only; not committed (refused,
 *   failed, killed): in PostgreSQL only.
 */
export interface ArchiveLedger {
  lock(): Promise<boolean>;
  /** The oldest month holding an order, or null when there are none. */
  firstMonth(): Promise<string | null>;
  /** Up to `limit` archivable orders placed in `month` before `cutoff`, by id. */
  candidates(month: string, cutoff: Date, returnWindowClosedBefore: Date, limit: number): Promise<ArchiveCandidate[]>;
  publish(batch: ArchiveBatch): Promise<"published" | "changed">;
  /** Keys of every published file. */
  publishedKeys(): Promise<Set<string>>;
  close(): Promise<void>;
}

/** Where an archived order is. */
export interface ArchivedOrderEntry {
  id: string;
  userId: string;
  createdAt: Date;
  objectKey: string;
}

/** Read side of the archive directory: finds archived orders by id or by customer (PostgreSQL). */
export interface ArchiveDirectory {
  find(ids: readonly string[]): Promise<Map<string, ArchivedOrderEntry>>;
  /** A customer's archived orders, newest first by (createdAt desc, id desc), after the position. */
  listByUser(userId: string, first: number, after?: OrderPosition): Promise<ArchivedOrderEntry[]>;
  countByUser(userId: string): Promise<number>;
}

/**
 * Archive files: Parquet in object storage. A written file is immutable; readers only ever
 * open files the directory names (published), so a file written by a job killed before
 * publishing is never read, and `remove` sweeps it later.
 */
export interface ArchiveFiles {
  /** The key a new file of this month and batch gets. */
  keyFor(month: string, batchId: string): string;
  /** Writes the rows as one Parquet file under `key`; its size in bytes. */
  write(key: string, rows: readonly ArchiveRow[]): Promise<number>;
  /** Every row of the stored file, read back from the object store. */
  readAll(key: string): Promise<ArchiveRow[]>;
  /** Rows of these files whose id is one of `ids`. */
  readByIds(keys: readonly string[], ids: readonly string[]): Promise<ArchiveRow[]>;
  /** Keys of every file of this namespace stored (published or not). */
  list(): Promise<string[]>;
  remove(key: string): Promise<void>;
}
