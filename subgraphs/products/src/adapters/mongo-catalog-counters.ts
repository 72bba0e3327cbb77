import type { Collection, Db } from "mongodb";

interface CounterDocument {
  _id: string;
  n: number;
}

/** Serialises work on one resource, across processes where production wires a shared lock. */
export type ResourceLock = <T>(resource: string, work: () => Promise<T>) => Promise<T>;

/**
 * The catalog's counters, one small document each: the last number given out in a listing
 * (`seq`, `seq:<category>`) and the live products (`live`, `live:<category>`). They replace
 * scans: a count or "where does the listing start" is one `_id` lookup.
 *
 * FerretDB v1 applies `$inc` by reading and writing the document back, so two concurrent
 * increments can lose one; every change therefore runs under the counter's lock. Counters
 * move after the product write they account for (there are no transactions): a process dying
 * between the two leaves a live count off by the writes it was doing (a displayed total, not
 * a rule anything depends on); listing numbers only ever grow, so a lost one leaves a gap.
 */
export function catalogCounters(db: Db, collection: string, lock: ResourceLock, maxTimeMS: number) {
  const counters: Collection<CounterDocument> = db.collection<CounterDocument>(collection);

  async function add(id: string, by: number): Promise<number> {
    return lock(`counter:${id}`, async () => {
      const doc = await counters.findOneAndUpdate({ _id: id }, { $inc: { n: by } }, { upsert: true, returnDocument: "after", maxTimeMS });
      return doc?.n ?? by;
    });
  }

  return {
    async value(id: string): Promise<number> {
      return (await counters.findOne({ _id: id }, { maxTimeMS }))?.n ?? 0;
    },
    add,
    /** Reserves `count` numbers in a listing; returns the first. */
    async reserve(listing: string, count: number): Promise<number> {
      return (await add(listing, count)) - count + 1;
    },
    async set(id: string, n: number): Promise<void> {
      await lock(`counter:${id}`, () => counters.updateOne({ _id: id }, { $set: { n } }, { upsert: true }));
    },
    /** Raises a counter to at least `n` (a listing's counter past every number in use). */
    async raise(id: string, n: number): Promise<void> {
      await lock(`counter:${id}`, async () => {
        if (((await counters.findOne({ _id: id }, { maxTimeMS }))?.n ?? 0) < n) await counters.updateOne({ _id: id }, { $set: { n } }, { upsert: true });
      });
    },
    /** Every counter's id: a few per category, never many. */
    ids: async (): Promise<string[]> => (await counters.find({}, { projection: { _id: 1 }, maxTimeMS }).toArray()).map((doc) => doc._id),
    drop: () => counters.drop().catch(() => false),
  };
}

export type CatalogCounters = ReturnType<typeof catalogCounters>;

export const listingCounter = (category?: string) => (category ? `seq:${category}` : "seq");
export const liveCounter = (category?: string) => (category ? `live:${category}` : "live");
