import type { Collection, Db, IndexDescription } from "mongodb";
import { unitsOf, type Sale, type SaleLine, type SalesBatch, type SalesLedger } from "../ports/sales-ledger.js";
import type { ResourceLock } from "./mongo-catalog-counters.js";

interface SaleDocument {
  _id: string;
  lines: SaleLine[];
  /** 0 until a batch takes it. */
  batch: number;
}

interface StateDocument {
  _id: typeof STATE;
  open: number | null;
  last: number;
  /** The open batch's orders, so a batch resumed after a crash is the same batch. */
  sales: string[];
}

const STATE = "~state";
const DUPLICATE_KEY = 11000;

export const SALES_INDEXES: (IndexDescription & { name: string })[] = [{ key: { batch: 1 }, name: "sale_batch" }];

/**
 * The sales ledger on MongoDB/FerretDB: a document per paid order keyed by its id (the
 * insert refuses a redelivered one) and a state document naming the open batch. Sales not
 * batched yet are found by equality on `batch` (0), an indexed field; a batch is opened,
 * applied and closed under one lock across processes.
 *
 * The document engine's cost is per round trip, so nothing here is one per sale: the sales
 * a consumer hands over together go in as one insert, and a batch's members are marked and
 * read back in one update and one read, whatever their number. The update names its orders
 * and `batch: 0` both: FerretDB serves a filter on `_id` with `$in` by reading the whole
 * collection, the equality on `batch` from its index (the sales waiting, a few at most).
 */
export function mongoSalesLedger(db: Db, collection: string, options: { lock: ResourceLock; maxTimeMS: number }): SalesLedger & { ensureIndexes(): Promise<void>; drop(): Promise<void> } {
  const sales = db.collection<SaleDocument>(collection);
  const states = sales as unknown as Collection<StateDocument>;
  const { lock, maxTimeMS } = options;

  return {
    engine: "mongodb",
    async ensureIndexes() {
      const existing = new Set((await sales.listIndexes().toArray().catch(() => [])).map((index) => String(index.name)));
      const missing = SALES_INDEXES.filter((index) => !existing.has(index.name));
      if (missing.length) await sales.createIndexes(missing);
    },
    async record(recorded: readonly Sale[]) {
      if (recorded.length === 0) return [];
      const documents = recorded.map(({ orderId, lines }) => ({ _id: orderId, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })), batch: 0 }));
      try {
        await sales.insertMany(documents, { ordered: false });
        return documents.map((document) => document._id);
      } catch (error) {
        // Unordered: every other order went in; those refused as duplicates were recorded before.
        const refused = ([] as { index: number; code?: number }[]).concat((error as { writeErrors?: { index: number; code?: number }[] }).writeErrors ?? []);
        if (refused.length === 0 || refused.some((each) => each.code !== DUPLICATE_KEY)) throw error;
        const duplicates = new Set(refused.map((each) => each.index));
        return documents.filter((_, index) => !duplicates.has(index)).map((document) => document._id);
      }
    },
    drain(limit: number, apply: (batch: SalesBatch) => Promise<void>) {
      return lock(`sales:${collection}`, async () => {
        const state = (await states.findOne({ _id: STATE }, { maxTimeMS })) ?? { _id: STATE, open: null, last: 0, sales: [] };
        let batch = state.open;
        let orderIds = state.sales;
        if (batch === null) {
          // Unsorted with a limit: FerretDB stops after `limit` rows.
          const waiting = await sales.find({ batch: 0 }, { maxTimeMS, projection: { _id: 1 } }).limit(limit).toArray();
          if (waiting.length === 0) return 0;
          batch = state.last + 1;
          orderIds = waiting.map((sale) => sale._id);
          await states.replaceOne({ _id: STATE }, { open: batch, last: batch, sales: orderIds }, { upsert: true });
        }
        // A batch resumed after a crash marks again only what the crash left unmarked.
        await sales.updateMany({ batch: 0, _id: { $in: orderIds } }, { $set: { batch } });
        const members = await sales.find({ batch }, { maxTimeMS, projection: { lines: 1 } }).toArray();
        await apply({ batch, units: unitsOf(members.map((sale) => sale.lines)) });
        await states.updateOne({ _id: STATE }, { $set: { open: null, sales: [] } });
        return members.length;
      });
    },
    async drop() {
      await sales.drop().catch(() => false);
    },
    async close() {},
  };
}
