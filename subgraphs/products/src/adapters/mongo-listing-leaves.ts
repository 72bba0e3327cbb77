import type { Collection, Filter, IndexDescription } from "mongodb";
import { inParallel } from "#kernel/runtime/in-parallel.ts";
import type { ResourceLock } from "./mongo-catalog-counters.js";
import type { ProductImage } from "../domain/product.js";

/** One product in one sorted listing, with what the listing filters on. */
export interface LeafEntry {
  /** The sort key (listing-facts.ts listingKey). */
  k: string;
  id: string;
  /** Every variant's price, distinct, ascending. */
  p: number[];
  /** In stock. */
  s: boolean;
  /** Option values, "name=value" lowercase. */
  o: string[];
  /** The card (listing-card.ts): name, currency of the prices, main picture. Absent in entries listed before cards. */
  n?: string;
  c?: string;
  i?: ProductImage | null;
  /** The variants' ids (part of the card). */
  v?: string[];
}

/**
 * A run of consecutive keys [lo, hi) of one listing, sorted. `at` and `until` name its two
 * ends as single strings so the next leaf either way is one equality lookup.
 */
interface LeafDocument {
  _id: string;
  kind: "leaf";
  at: string;
  until: string;
  lo: string;
  hi: string;
  entries: LeafEntry[];
}

/** Where each leaf of a listing starts, in order: how a cursor finds its leaf. */
interface HeadDocument {
  _id: string;
  kind: "head";
  leaves: { id: string; lo: string }[];
  next: number;
}

export type ListingDocument = LeafDocument | HeadDocument;

/**
 * How listing documents are written. Builds before the text leaves cannot read them: while
 * such processes still serve the same catalog (a rolling update), the new ones write arrays
 * ("array", the setting LISTING_LEAF_FORMAT), and text once every process reads it.
 */
export type LeafFormat = "text" | "array";

/**
 * A listing document as stored: a leaf's entries and a head's leaves as one JSON text each.
 * FerretDB v1 converts a stored document to BSON value by value, with a type schema beside
 * every nested value, which made a leaf of 150 entries with cards 113 KB of JSONB and 20 ms
 * to read at a million products; the same leaf as text reads in 8 ms, a head of 6,667 leaves
 * in 37 ms instead of 208 (BENCHMARKS.md). Nothing queries inside either. Documents written
 * as arrays (before, or under "array") are read as they are.
 */
export type StoredListingDocument = (Omit<LeafDocument, "entries"> & { entries: string | LeafEntry[] }) | (Omit<HeadDocument, "leaves"> & { leaves: string | HeadDocument["leaves"] });

/** The document a read found, its text fields parsed. */
export function decodeListingDocument(stored: StoredListingDocument | null): ListingDocument | null {
  if (!stored) return null;
  if (stored.kind === "leaf") return typeof stored.entries === "string" ? { ...stored, entries: JSON.parse(stored.entries) as LeafEntry[] } : (stored as LeafDocument);
  return typeof stored.leaves === "string" ? { ...stored, leaves: JSON.parse(stored.leaves) as HeadDocument["leaves"] } : (stored as HeadDocument);
}

/** How leaves and heads are written in a format. */
function storedForm(format: LeafFormat) {
  const asText = format === "text";
  return {
    leaf: (leaf: LeafDocument): StoredListingDocument => (asText ? { ...leaf, entries: JSON.stringify(leaf.entries) } : leaf),
    head: (head: HeadDocument): StoredListingDocument => (asText ? { ...head, leaves: JSON.stringify(head.leaves) } : head),
    entries: (entries: LeafEntry[]): string | LeafEntry[] => (asText ? JSON.stringify(entries) : entries),
  };
}

const SEP = "\u0002";
/** Above every key (keys are printable text, \u0001 and an id). */
export const END = "\uffff";
/** A leaf splits past CAPACITY entries into leaves of FILL, leaving room for inserts. */
const CAPACITY = 200;
const FILL = 150;

/**
 * Every filter the listings send, by name (the plan test explains them on a sizeable
 * collection and fails on a sequential scan): all equalities on one indexed field, the only
 * shape FerretDB v1 serves from an index (see mongo-product-queries.ts).
 */
export const listingQueries = {
  byId: (id: string): Filter<StoredListingDocument> => ({ _id: id }),
  leafAt: (listing: string, lo: string): Filter<StoredListingDocument> => ({ at: `${listing}${SEP}${lo}` }),
  leafUntil: (listing: string, hi: string): Filter<StoredListingDocument> => ({ until: `${listing}${SEP}${hi}` }),
};

export const LISTING_LEAF_INDEXES: (IndexDescription & { name: string })[] = [
  { key: { at: 1 }, name: "leaf_at" },
  { key: { until: 1 }, name: "leaf_until" },
];

/** Leaves of one listing read or written at once by a change touching many of them. */
const LEAF_WRITES_AT_ONCE = 8;

const headId = (listing: string) => `head${SEP}${listing}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorted listings as chains of leaves of at most 200 entries (a B-tree's leaf level), with a
 * head per listing saying where each leaf starts. A page reads one or a few leaves (one
 * equality lookup each) whatever the listing's length: the first page by the end it starts
 * from (`at` "" or `until` END), a later page by the head (cached in the process; a stale copy
 * is noticed because the leaf it names does not hold the cursor, and reloaded), and the next
 * leaf by `at`/`until` equal to this leaf's end.
 *
 * Writes to a listing run under its lock (FerretDB v1 loses concurrent updates of one
 * document, see MongoProductStore). A split writes the new leaves first, then the shrunk old
 * one, then the head: a reader in between sees every entry exactly once, because it reads a
 * leaf's entries only within that leaf's own [lo, hi).
 */
export function listingLeaves(documents: Collection<StoredListingDocument>, lock: ResourceLock, maxTimeMS: number, format: LeafFormat = "text") {
  const stored = storedForm(format);
  const heads = new Map<string, HeadDocument>();
  const readOne = async (id: string) => decodeListingDocument(await documents.findOne(listingQueries.byId(id), { maxTimeMS }));
  const readAll = async (filter: Filter<StoredListingDocument>) => (await documents.find(filter, { maxTimeMS }).toArray()).map((found) => decodeListingDocument(found)!);

  const readHead = async (listing: string) => {
    const head = (await readOne(headId(listing))) as HeadDocument | null;
    if (head) heads.set(listing, head);
    else heads.delete(listing);
    return head;
  };
  const clip = (leaf: LeafDocument) => leaf.entries.filter((entry) => entry.k >= leaf.lo && entry.k < leaf.hi);
  const leafOf = (head: HeadDocument, key: string) => {
    let low = 0;
    for (let high = head.leaves.length - 1; low < high; ) {
      const middle = Math.ceil((low + high) / 2);
      if (head.leaves[middle]!.lo <= key) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const pick = (found: ListingDocument[]) => (found as LeafDocument[]).sort((a, b) => compare(a.lo, b.lo))[0] ?? null;

  /** The leaf holding `key`, through the cached head, reloaded once when it has gone stale. */
  async function seek(listing: string, key: string): Promise<LeafDocument | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const head = (attempt === 0 && heads.get(listing)) || (await readHead(listing));
      if (!head) return null;
      const leaf = (await readOne(head.leaves[leafOf(head, key)]!.id)) as LeafDocument | null;
      if (leaf && leaf.lo <= key && key < leaf.hi) return leaf;
    }
    throw new Error(`listing ${listing}: no leaf holds the cursor's key; rebuild the listings`);
  }

  return {
    /**
     * The listing's entries after `from` (exclusive) in the given direction, a leaf at a time,
     * at most `maxLeaves` leaves; `last` is true for the listing's last leaf that way.
     */
    async *walk(listing: string, options: { from?: string; ascending: boolean; maxLeaves: number }): AsyncGenerator<{ entries: LeafEntry[]; last: boolean }> {
      const { from, ascending } = options;
      let leaf =
        from !== undefined
          ? await seek(listing, from)
          : pick(await readAll(ascending ? listingQueries.leafAt(listing, "") : listingQueries.leafUntil(listing, END)));
      for (let read = 0; leaf && read < options.maxLeaves; read++) {
        let entries = clip(leaf).sort((a, b) => compare(a.k, b.k) * (ascending ? 1 : -1));
        if (from !== undefined) entries = entries.filter((entry) => (ascending ? entry.k > from : entry.k < from));
        const last = ascending ? leaf.hi === END : leaf.lo === "";
        yield { entries, last };
        if (last) return;
        if (read + 1 >= options.maxLeaves) return;
        const next = await readAll(ascending ? listingQueries.leafAt(listing, leaf.hi) : listingQueries.leafUntil(listing, leaf.lo));
        leaf = pick(next);
      }
    },

    /**
     * Removes the entries with these keys, then adds these entries, in one listing. The head
     * (a few hundred kilobytes at a million products) is read from this process's copy: each
     * touched leaf's own bounds confirm the copy sent every key to the right leaf, and a copy
     * gone stale (another process split a leaf) is noticed that way and read again. Only a
     * split, which must write the head, reads it afresh first.
     */
    async apply(listing: string, removals: readonly string[], additions: readonly LeafEntry[]) {
      if (removals.length === 0 && additions.length === 0) return;
      await lock(`listing:${listing}`, async () => {
        for (let attempt = 0; ; attempt++) {
          const head = (attempt === 0 && heads.get(listing)) || (await readHead(listing)) || (additions.length ? await createListing(listing) : null);
          if (!head) return;
          const done = await applyWith(listing, head, removals, additions, { fresh: attempt > 0 });
          if (done) return;
          if (attempt >= 3) throw new Error(`listing ${listing}: its head keeps changing under the lock; rebuild the listings`);
        }
      });
    },
  };

  async function createListing(listing: string): Promise<HeadDocument> {
    const first = `${listing}${SEP}0`;
    const leaf: LeafDocument = { _id: first, kind: "leaf", at: `${listing}${SEP}`, until: `${listing}${SEP}${END}`, lo: "", hi: END, entries: [] };
    await documents.replaceOne({ _id: first }, stored.leaf(leaf), { upsert: true });
    const head: HeadDocument = { _id: headId(listing), kind: "head", leaves: [{ id: first, lo: "" }], next: 1 };
    await documents.replaceOne({ _id: head._id }, stored.head(head), { upsert: true });
    heads.set(listing, head);
    return head;
  }

  /** One attempt with this head; false when the head proved stale and nothing was written. */
  async function applyWith(listing: string, head: HeadDocument, removals: readonly string[], additions: readonly LeafEntry[], options: { fresh: boolean }): Promise<boolean> {
    const touched = new Map<number, { removals: Set<string>; additions: LeafEntry[] }>();
    const at = (key: string) => {
      const index = leafOf(head, key);
      if (!touched.has(index)) touched.set(index, { removals: new Set(), additions: [] });
      return touched.get(index)!;
    };
    for (const key of removals) at(key).removals.add(key);
    for (const entry of additions) at(entry.k).additions.push(entry);

    // Read and merge the touched leaves at once; then cut the full ones, highest index
    // first so the leaves a split inserts do not shift the ones still to do; then write
    // every new leaf before shrinking the leaf it came from, and the head last.
    const indexes = [...touched.keys()].sort((a, b) => b - a);
    const merged = await inParallel(indexes, LEAF_WRITES_AT_ONCE, async (index) => {
      const change = touched.get(index)!;
      const leaf = (await readOne(head.leaves[index]!.id)) as LeafDocument | null;
      const holds = (key: string) => leaf !== null && leaf.lo <= key && key < leaf.hi;
      if (!leaf || ![...change.removals].every(holds) || !change.additions.every((entry) => holds(entry.k))) return null;
      const added = new Set(change.additions.map((entry) => entry.k));
      const entries = clip(leaf)
        .filter((entry) => !change.removals.has(entry.k) && !added.has(entry.k))
        .concat(change.additions)
        .sort((a, b) => compare(a.k, b.k));
      return { index, leaf, entries };
    });
    if (merged.some((each) => each === null)) {
      if (options.fresh) throw new Error(`listing ${listing}: a leaf its head names is missing or does not hold its keys; rebuild the listings`);
      return false;
    }
    const ready = merged as { index: number; leaf: LeafDocument; entries: LeafEntry[] }[];
    const splits = ready.some(({ entries }) => entries.length > CAPACITY);
    if (splits && !options.fresh) {
      // The head is about to be written: it must be the stored one, not this process's copy.
      const stored = await readHead(listing);
      if (!stored || stored.next !== head.next || stored.leaves.length !== head.leaves.length) return false;
    }
    const leaves = [...head.leaves];
    let next = head.next;
    const made: LeafDocument[] = [];
    const updates: { id: string; set: Partial<LeafDocument> }[] = [];
    for (const { index, leaf, entries } of ready) {
      if (entries.length <= CAPACITY) {
        updates.push({ id: leaf._id, set: { entries } });
        continue;
      }
      const chunks: LeafEntry[][] = [];
      for (let i = 0; i < entries.length; i += FILL) chunks.push(entries.slice(i, i + FILL));
      const bounds = chunks.map((chunk, i) => (i === 0 ? leaf.lo : chunk[0]!.k));
      const split = chunks.slice(1).map((chunk, i): LeafDocument => {
        const lo = bounds[i + 1]!;
        const hi = bounds[i + 2] ?? leaf.hi;
        return { _id: `${listing}${SEP}${next++}`, kind: "leaf", at: `${listing}${SEP}${lo}`, until: `${listing}${SEP}${hi}`, lo, hi, entries: chunk };
      });
      made.push(...split);
      updates.push({ id: leaf._id, set: { entries: chunks[0]!, hi: bounds[1]!, until: `${listing}${SEP}${bounds[1]!}` } });
      leaves.splice(index + 1, 0, ...split.map((doc) => ({ id: doc._id, lo: doc.lo })));
    }
    await inParallel(made, LEAF_WRITES_AT_ONCE, (doc) => documents.replaceOne({ _id: doc._id }, stored.leaf(doc), { upsert: true }));
    await inParallel(updates, LEAF_WRITES_AT_ONCE, ({ id, set: { entries, ...bounds } }) => documents.updateOne({ _id: id }, { $set: { ...bounds, entries: stored.entries(entries!) } }));
    if (made.length) {
      const written: HeadDocument = { ...head, leaves, next };
      await documents.replaceOne({ _id: written._id }, stored.head(written), { upsert: true });
      heads.set(listing, written);
    }
    return true;
  }
}

export type ListingLeaves = ReturnType<typeof listingLeaves>;

/**
 * Writes a whole listing at once from its entries, into a collection holding none of it (a
 * first build): sorted once in memory and cut into leaves of FILL, each document inserted
 * once, then the head. At a million products this is a few hundred inserts per listing,
 * where inserting entry by entry rewrites every leaf many times over.
 */
export async function writeWholeListing(documents: Collection<StoredListingDocument>, listing: string, entries: LeafEntry[], options: { documentsPerInsert?: number; format?: LeafFormat } = {}) {
  const stored = storedForm(options.format ?? "text");
  if (entries.length === 0) return 0;
  entries.sort((a, b) => compare(a.k, b.k));
  const leaves: LeafDocument[] = [];
  for (let i = 0; i < entries.length; i += FILL) {
    const chunk = entries.slice(i, i + FILL);
    const lo = i === 0 ? "" : chunk[0]!.k;
    leaves.push({ _id: `${listing}${SEP}${leaves.length}`, kind: "leaf", at: `${listing}${SEP}${lo}`, until: "", lo, hi: END, entries: chunk });
  }
  for (let i = 0; i < leaves.length; i++) {
    const hi = leaves[i + 1]?.lo ?? END;
    leaves[i]!.hi = hi;
    leaves[i]!.until = `${listing}${SEP}${hi}`;
  }
  const perInsert = options.documentsPerInsert ?? 40;
  for (let i = 0; i < leaves.length; i += perInsert) await documents.insertMany(leaves.slice(i, i + perInsert).map(stored.leaf), { ordered: false });
  const head: HeadDocument = { _id: headId(listing), kind: "head", leaves: leaves.map((leaf) => ({ id: leaf._id, lo: leaf.lo })), next: leaves.length };
  await documents.insertOne(stored.head(head));
  return leaves.length;
}
