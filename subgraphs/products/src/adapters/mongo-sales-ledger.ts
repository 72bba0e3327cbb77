import type { Collection, Db, IndexDescription } from "mongodb";
import { MongoServerError } from "mongodb";
import { unitsOf, type SaleLine, type SalesBatch, type SalesLedger } from "../ports/sales-ledger.js";
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
    async record(orderId, lines) {
      try {
        await sales.insertOne({ _id: orderId, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })), batch: 0 });
        return true;
      } catch (error) {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
        throw error;
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
        const members: SaleDocument[] = [];
        for (let i = 0; i < orderIds.length; i += 8) {
          const marked = await Promise.all(orderIds.slice(i, i + 8).map((id) => sales.findOneAndUpdate({ _id: id }, { $set: { batch: batch! } }, { returnDocument: "after" })));
          for (const sale of marked) if (sale) members.push(sale);
        }
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
