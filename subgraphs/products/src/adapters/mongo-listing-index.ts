import { MongoClient, type Collection } from "mongodb";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import type { Product } from "../domain/product.js";
import { listedPrice, listingKey, matchesFilter, priceKeyCeiling, priceKeyFloor, priceKeys, priceOfKey, type ListingFacts } from "../listing/listing-facts.js";
import { cardOf } from "../listing/listing-card.js";
import { SORT_FIELDS, type ListingQuery, type SortField } from "../listing/listing-query.js";
import { emptyRecord, inStock, withPopularity, withProduct, withStock, type ListingRecord } from "../listing/listing-record.js";
import type { ListedEntry, ListingIndex, ListingPage, StockRecord } from "../ports/listing-index.js";
import type { ResourceLock } from "./mongo-catalog-counters.js";
import { mongoSalesLedger } from "./mongo-sales-ledger.js";
import type { SalesLedger } from "../ports/sales-ledger.js";
import { LISTING_LEAF_INDEXES, decodeListingDocument, listingLeaves, listingQueries, writeWholeListing, type LeafEntry, type LeafFormat, type ListingLeaves, type StoredListingDocument } from "./mongo-listing-leaves.js";
import { mongoClientOptions } from "./mongo-client-options.js";

type RecordDocument = Omit<ListingRecord, "id"> & { _id: string };

/**
 * How many leaves (of up to 200 entries) one page may read per category it spans: the bound
 * that keeps a page's cost flat at a million products. A filter matching fewer than one
 * product in ~800 gets short pages (hasNextPage true, the cursor moved on).
 */
export const LEAVES_PER_PAGE = 4;

/**
 * The entries a product has: in every sort, over the whole catalog ("*") and in its category;
 * in PRICE listings one per distinct variant price (see listedPrice).
 */
const entriesOf = (facts: ListingFacts, fields: readonly SortField[] = SORT_FIELDS) =>
  fields.flatMap((field) =>
    [`${field}|*`, `${field}|${facts.category}`].flatMap((listing) => (field === "PRICE" ? priceKeys(facts) : [listingKey(field, facts)]).map((key) => ({ listing, key }))),
  );

/** A record's entries, each under its listing and key joined (a listing name holds no NUL). */
function placedEntries(record: ListingRecord): Map<string, { listing: string; entry: LeafEntry }> {
  const placed = new Map<string, { listing: string; entry: LeafEntry }>();
  if (record.facts) for (const { listing, key } of entriesOf(record.facts)) placed.set(`${listing}\u0000${key}`, { listing, entry: entryOf(record, key) });
  return placed;
}

const sameEntry = (a: LeafEntry, b: LeafEntry) =>
  a.k === b.k && a.id === b.id && a.s === b.s && sameList(a.p, b.p) && sameList(a.o, b.o) && a.n === b.n && a.c === b.c && JSON.stringify(a.i) === JSON.stringify(b.i) && sameList(a.v, b.v);
const sameList = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((value, i) => value === b[i]));

const entryOf = (record: ListingRecord, key: string): LeafEntry => leafEntry(record.facts!, key, inStock(record));

/** A product's entry under `key`: what the listing filters on, and its card when its facts have one. */
function leafEntry(facts: ListingFacts, key: string, s: boolean): LeafEntry {
  const entry: LeafEntry = { k: key, id: facts.id, p: facts.prices, s, o: facts.options };
  if (cardOf(facts)) Object.assign(entry, { n: facts.name, c: facts.currency, i: facts.image, v: facts.variantIds });
  return entry;
}

/** The card an entry carries: none for one listed before entries carried cards. */
const cardOfEntry = (entry: LeafEntry) => (entry.n === undefined ? undefined : cardOf({ name: entry.n, prices: entry.p, currency: entry.c, image: entry.i, variantIds: entry.v }));

/**
 * The catalog's listings on MongoDB/FerretDB: a record per product (its facts, stock and
 * popularity, in `<collection>_listed`) and, per sort and per scope, a sorted chain of leaves
 * (`<collection>_listings`, see mongo-listing-leaves.ts). Every read is an equality on `_id` or
 * on one indexed field. A product's record changes under its lock, and its entries move in the
 * same locked step, so concurrent feeds of one product apply one after the other.
 */
export class MongoListingIndex implements ListingIndex {
  readonly engine = "mongodb";

  private constructor(
    private readonly client: MongoClient | null,
    private readonly records: Collection<RecordDocument>,
    private readonly documents: Collection<StoredListingDocument>,
    private readonly leaves: ListingLeaves,
    private readonly lock: ResourceLock,
    private readonly maxTimeMS: number,
    /** The paid orders popularity counted, beside the listings (see popularity-feed.ts). */
    readonly sales: SalesLedger & { drop(): Promise<void>; ensureIndexes(): Promise<void> },
    private readonly leafFormat: LeafFormat,
  ) {}

  static async connect(
    url: string,
    options: { database?: string; collection?: string; lock?: ResourceLock; queryTimeoutMs?: number; maxPoolSize?: number; leafFormat?: LeafFormat } = {},
  ) {
    const maxTimeMS = options.queryTimeoutMs ?? 5_000;
    const client = new MongoClient(url, mongoClientOptions(options.maxPoolSize ?? 8, maxTimeMS));
    await client.connect();
    try {
      const db = client.db(options.database);
      const name = options.collection ?? "products";
      const documents = db.collection<StoredListingDocument>(`${name}_listings`);
      await ensureLeafIndexes(documents);
      const lock = options.lock ?? inProcessLock();
      const leafFormat = options.leafFormat ?? "text";
      const sales = mongoSalesLedger(db, `${name}_sales`, { lock, maxTimeMS });
      await sales.ensureIndexes();
      return new MongoListingIndex(client, db.collection<RecordDocument>(`${name}_listed`), documents, listingLeaves(documents, lock, maxTimeMS, leafFormat), lock, maxTimeMS, sales, leafFormat);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /**
   * The lot under every product's lock (taken in id order, so two writers never wait on each
   * other), each listing written once for all of them: a batch of a hundred changes costs about
   * what one does.
   */
  async sync(products: ReadonlyMap<string, Product | null>) {
    const ids = [...products.keys()].sort();
    if (ids.length === 0) return;
    const work = async () => {
      const before = await this.read(ids);
      const pairs: [ListingRecord, ListingRecord][] = [];
      for (const id of ids) {
        const record = before.get(id) ?? emptyRecord(id);
        const next = withProduct(record, products.get(id) ?? null);
        if (next !== record) pairs.push([record, next]);
      }
      if (pairs.length === 0) return;
      await this.move(pairs);
      for (let i = 0; i < pairs.length; i += 16) await Promise.all(pairs.slice(i, i + 16).map(([, next]) => this.save(next)));
    };
    await ids.reduceRight<() => Promise<void>>((inner, id) => () => this.lock(`listed:${id}`, inner), work)();
  }

  /** Per-product locks are not taken here: see the port. */
  async load(products: readonly Product[]) {
    // Into empty listings (a first build) there is nothing to read back, and the records go
    // in as bulk inserts: a few round trips per thousand products instead of two per product.
    const fresh = await this.isEmpty();
    const before = fresh ? new Map<string, ListingRecord>() : await this.read(products.map((product) => product.id));
    const after = products.map((product) => withProduct(before.get(product.id) ?? emptyRecord(product.id), product));
    await this.move(products.map((product, i) => [before.get(product.id) ?? emptyRecord(product.id), after[i]!]));
    if (fresh) {
      for (let i = 0; i < after.length; i += 1_000) {
        const chunk = after.slice(i, i + 1_000);
        try {
          await this.records.insertMany(chunk.map(({ id, ...fields }) => ({ _id: id, ...fields })), { ordered: false });
        } catch (error) {
          // A record kept before anything was listed (a stock event came first): merged into.
          const failed = (error as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
          if (!failed?.length || failed.some((each) => each.code !== 11000)) throw error;
          for (const { index } of failed) await this.change(chunk[index]!.id, (record) => withProduct(record, products[i + index]!));
        }
      }
    } else {
      for (let i = 0; i < after.length; i += 16) await Promise.all(after.slice(i, i + 16).map((record) => this.save(record)));
    }
  }

  async build(batches: AsyncIterable<readonly Product[]>, onProgress?: (listed: number) => void) {
    if (!(await this.isEmpty())) throw new Error("build lists a whole catalog into empty listings; these hold entries already");
    // Only the facts stay in memory (a few hundred bytes a product); records go in as they come.
    const listed: { facts: ListingFacts; inStock: boolean }[] = [];
    for await (const products of batches) {
      const records = products.map((product) => withProduct(emptyRecord(product.id), product));
      const kept = await this.insertRecords(records, products);
      for (const record of kept) if (record.facts) listed.push({ facts: record.facts, inStock: inStock(record) });
      onProgress?.(listed.length);
    }
    for (const field of SORT_FIELDS) {
      const byListing = new Map<string, LeafEntry[]>();
      for (const { facts, inStock: s } of listed) {
        for (const { listing, key } of entriesOf(facts, [field])) {
          const entries = byListing.get(listing) ?? byListing.set(listing, []).get(listing)!;
          entries.push(leafEntry(facts, key, s));
        }
      }
      for (const [listing, entries] of byListing) await writeWholeListing(this.documents, listing, entries, { format: this.leafFormat });
    }
    return listed.length;
  }

  /**
   * Inserts fresh records; one already kept (a stock event came before the product was listed)
   * is merged into instead, without touching the leaves. Returns the records as kept.
   */
  private async insertRecords(records: ListingRecord[], products: readonly Product[]) {
    const kept = [...records];
    for (let i = 0; i < records.length; i += 1_000) {
      const chunk = records.slice(i, i + 1_000);
      try {
        await this.records.insertMany(chunk.map(({ id, ...fields }) => ({ _id: id, ...fields })), { ordered: false });
      } catch (error) {
        const failed = (error as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
        if (!failed?.length || failed.some((each) => each.code !== 11000)) throw error;
        for (const { index } of failed) {
          const id = chunk[index]!.id;
          const merged = withProduct((await this.read([id])).get(id) ?? emptyRecord(id), products[i + index]!);
          await this.save(merged);
          kept[i + index] = merged;
        }
      }
    }
    return kept;
  }

  async isEmpty() {
    // Unfiltered and unsorted, FerretDB stops at the first row.
    return (await this.documents.findOne({}, { projection: { _id: 1 }, maxTimeMS: this.maxTimeMS })) === null;
  }

  /**
   * Whether the listings are in the current format: leaves carrying cards (without them every
   * page reads its products) stored as text (see StoredListingDocument). Either way they
   * answer correctly; `rebuild-listings` brings a live catalog up to date, a fresh build is
   * faster. Reads the first leaf of the whole catalog's newest-first listing.
   */
  async inCurrentFormat(): Promise<boolean> {
    const stored = await this.documents.findOne(listingQueries.leafAt("NEWEST|*", ""), { maxTimeMS: this.maxTimeMS });
    if (stored?.kind !== "leaf") return true;
    if (typeof stored.entries !== "string") return false;
    const leaf = decodeListingDocument(stored);
    const entry = leaf?.kind === "leaf" ? leaf.entries[0] : undefined;
    return entry === undefined || entry.v !== undefined;
  }

  async recordStock(change: StockRecord) {
    let changed = false;
    await this.change(change.productId, (record) => {
      const next = withStock(record, change);
      changed = inStock(next) !== inStock(record);
      return next;
    });
    return changed;
  }

  async addPopularity(batch: number, units: ReadonlyMap<string, number>) {
    const ids = [...units.keys()];
    for (let i = 0; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((id) => this.change(id, (record) => withPopularity(record, batch, units.get(id)!))));
  }

  async popularity(ids: readonly string[]) {
    const found = new Map<string, number>();
    for (const [id, record] of await this.read(ids)) if (record.popularity) found.set(id, record.popularity);
    return found;
  }

  async list({ first, after, sort, filter }: ListingQuery): Promise<ListingPage> {
    const ascending = sort.direction === "ASC";
    // A PRICE listing holds every variant price: it starts at the window's near end and
    // stops past its far end, and only a product's entry at its listed price counts.
    const price = sort.field === "PRICE";
    let from = after;
    const near = ascending ? filter.priceMin : filter.priceMax;
    if (price && near !== undefined) {
      const start = ascending ? priceKeyFloor(near) : priceKeyCeiling(near);
      if (from === undefined || (ascending ? start > from : start < from)) from = start;
    }
    const far = ascending ? filter.priceMax : filter.priceMin;
    const beyond = (entry: LeafEntry) => price && far !== undefined && (ascending ? priceOfKey(entry.k) > far : priceOfKey(entry.k) < far);
    const counts = (entry: LeafEntry) => !price || listedPrice(entry.p, filter) === priceOfKey(entry.k);
    const scopes = filter.categories ?? ["*"];
    const reads = await Promise.all(
      scopes.map(async (scope) => {
        const matches: ListedEntry[] = [];
        let seen = from;
        let ended = true;
        for await (const { entries, last } of this.leaves.walk(`${sort.field}|${scope}`, { from, ascending, maxLeaves: LEAVES_PER_PAGE })) {
          for (const entry of entries) {
            if (beyond(entry)) return { matches, frontier: null };
            seen = entry.k;
            if (counts(entry) && matchesFilter(filter, { prices: entry.p, inStock: entry.s, options: entry.o })) matches.push({ id: entry.id, key: entry.k, card: cardOfEntry(entry) });
            if (matches.length > first) return { matches, frontier: entry.k };
          }
          ended = last;
        }
        // The walk stopped at the listing's end, or at the budget: then what follows the last
        // key seen is unknown, and no other scope's match beyond it may be listed yet.
        return { matches, frontier: ended ? null : (seen ?? null) };
      }),
    );
    const before = (a: string, b: string) => (ascending ? a <= b : a >= b);
    const frontiers = reads.map((read) => read.frontier).filter((key): key is string => key !== null);
    const limit = frontiers.sort().at(ascending ? 0 : -1);
    const candidates = reads
      .flatMap((read) => read.matches)
      .filter((entry) => limit === undefined || before(entry.key, limit))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (ascending ? 1 : -1));
    const items = candidates.slice(0, first);
    if (candidates.length > first) return { items, hasNextPage: true, endKey: items.at(-1)!.key };
    if (limit !== undefined) return { items, hasNextPage: true, endKey: limit };
    return { items, hasNextPage: false, endKey: items.at(-1)?.key ?? null };
  }

  /** Drops the listings and records (tests and benchmarks that made their own). */
  /**
   * Empties the listings. The leaves' indexes are made again at once: a build through this
   * instance afterwards once wrote a whole catalog's leaves into a collection without them, and
   * every leaf lookup became a sequential scan.
   */
  async drop() {
    await this.records.drop().catch(() => false);
    await this.documents.drop().catch(() => false);
    await this.sales.drop();
    await ensureLeafIndexes(this.documents);
    await this.sales.ensureIndexes();
  }

  async close() {
    await this.client?.close();
  }

  private async read(ids: readonly string[]) {
    const found = new Map<string, ListingRecord>();
    for (let i = 0; i < ids.length; i += 16) {
      const docs = await Promise.all(ids.slice(i, i + 16).map((id) => this.records.findOne({ _id: id }, { maxTimeMS: this.maxTimeMS })));
      for (const doc of docs) if (doc) found.set(doc._id, fromDocument(doc));
    }
    return found;
  }

  private async save(record: ListingRecord) {
    const { id, ...fields } = record;
    await this.records.replaceOne({ _id: id }, fields, { upsert: true });
  }

  /** One product's record changed by `next`, its entries moved to match, under its lock. */
  private async change(id: string, next: (record: ListingRecord) => ListingRecord) {
    await this.lock(`listed:${id}`, async () => {
      const before = (await this.read([id])).get(id) ?? emptyRecord(id);
      const after = next(before);
      if (after === before) return;
      await this.move([[before, after]]);
      await this.save(after);
    });
  }

  /** Moves entries from each pair's old record to its new one, each listing written once. */
  private async move(pairs: readonly [ListingRecord, ListingRecord][]) {
    const changes = new Map<string, { removals: string[]; additions: LeafEntry[] }>();
    const of = (listing: string) => changes.get(listing) ?? changes.set(listing, { removals: [], additions: [] }).get(listing)!;
    for (const [before, after] of pairs) {
      // Only entries that differ move: a stock event that leaves the flag as it was, or a sale
      // that moves a product in the popularity listings only, writes no other listing's leaf.
      const gone = placedEntries(before);
      for (const [place, { listing, entry }] of placedEntries(after)) {
        const was = gone.get(place);
        gone.delete(place);
        if (was && sameEntry(was.entry, entry)) continue;
        if (was) of(listing).removals.push(was.entry.k);
        of(listing).additions.push(entry);
      }
      for (const { listing, entry } of gone.values()) of(listing).removals.push(entry.k);
    }
    const work = [...changes.entries()];
    for (let i = 0; i < work.length; i += 4) await Promise.all(work.slice(i, i + 4).map(([listing, change]) => this.leaves.apply(listing, change.removals, change.additions)));
  }
}

function fromDocument(doc: RecordDocument): ListingRecord {
  const { _id, ...fields } = doc;
  return { id: _id, ...fields };
}

function inProcessLock(): ResourceLock {
  const locks = createLockService(new EmbeddedKeyValueStore());
  return (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 10_000 });
}

/** The leaves' lookup indexes, the missing ones only: FerretDB v1 drops the connection on an index that exists. */
async function ensureLeafIndexes(documents: Collection<StoredListingDocument>): Promise<void> {
  const missing = async () => {
    const existing = new Set((await documents.listIndexes().toArray().catch(() => [])).map((index) => String(index.name)));
    return LISTING_LEAF_INDEXES.filter((index) => !existing.has(index.name));
  };
  const wanted = await missing();
  if (wanted.length === 0) return;
  // Another process starting at the same moment may create them first (FerretDB then drops
  // this connection): fine as long as they exist afterwards.
  await documents.createIndexes(wanted).catch(async (error: unknown) => {
    if ((await missing()).length) throw error;
  });
}
