import { Journal } from "#kernel";
import type { Product } from "../domain/product.js";
import { listedPrice, listingKey, matchesFilter } from "../listing/listing-facts.js";
import { cardOf } from "../listing/listing-card.js";
import type { ListingQuery } from "../listing/listing-query.js";
import { emptyRecord, inStock, withPopularity, withProduct, withStock, type ListingRecord } from "../listing/listing-record.js";
import type { ListingIndex, ListingPage, StockRecord } from "../ports/listing-index.js";

/**
 * Listings in memory for the zero-setup mode, sorted on every read (the catalog is small
 * there); opened on a directory, every changed record is journaled before the change resolves,
 * so stock flags and popularity, which their events do not bring again, survive a restart.
 */
export class EmbeddedListingIndex implements ListingIndex {
  readonly engine = "embedded";
  private readonly records = new Map<string, ListingRecord>();
  private journal?: Journal<ListingRecord>;

  /** An index kept in `dir` (one process at a time), with what an earlier run left there. */
  static async open(dir: string, options: { onWarning?: (message: string, detail: Record<string, unknown>) => void } = {}): Promise<EmbeddedListingIndex> {
    const index = new EmbeddedListingIndex();
    index.journal = await Journal.open<ListingRecord>({
      dir,
      apply: (record) => void index.records.set(record.id, record),
      snapshot: () => index.records.values(),
      onWarning: options.onWarning,
    });
    return index;
  }

  async sync(products: ReadonlyMap<string, Product | null>) {
    await this.change([...products].map(([id, product]) => [id, (record) => withProduct(record, product)]));
  }

  load(products: readonly Product[]) {
    return this.sync(new Map(products.map((product) => [product.id, product])));
  }

  async build(batches: AsyncIterable<readonly Product[]>, onProgress?: (listed: number) => void) {
    if (!(await this.isEmpty())) throw new Error("build lists a whole catalog into empty listings; these hold entries already");
    let listed = 0;
    for await (const products of batches) {
      await this.load(products);
      onProgress?.((listed += products.length));
    }
    return listed;
  }

  async isEmpty() {
    return ![...this.records.values()].some((record) => record.facts);
  }

  async recordStock(change: StockRecord) {
    const before = this.records.get(change.productId) ?? emptyRecord(change.productId);
    await this.change([[change.productId, (record) => withStock(record, change)]]);
    return inStock(this.records.get(change.productId)!) !== inStock(before);
  }

  async addPopularity(batch: number, units: ReadonlyMap<string, number>) {
    await this.change([...units].map(([id, sold]) => [id, (record) => withPopularity(record, batch, sold)]));
  }

  private async change(changes: [string, (record: ListingRecord) => ListingRecord][]) {
    const changed: ListingRecord[] = [];
    for (const [id, next] of changes) {
      const before = this.records.get(id) ?? emptyRecord(id);
      const after = next(before);
      if (after === before) continue;
      this.records.set(id, after);
      changed.push(after);
    }
    if (changed.length) await this.journal?.append(changed);
  }

  async popularity(ids: readonly string[]) {
    const found = new Map<string, number>();
    for (const id of ids) {
      const popularity = this.records.get(id)?.popularity;
      if (popularity) found.set(id, popularity);
    }
    return found;
  }

  async list({ first, after, sort, filter }: ListingQuery): Promise<ListingPage> {
    const ascending = sort.direction === "ASC";
    const scope = filter.categories && new Set(filter.categories);
    const matching = [...this.records.values()].flatMap((record) => {
      const facts = record.facts;
      if (!facts || (scope && !scope.has(facts.category))) return [];
      if (!matchesFilter(filter, { ...facts, inStock: inStock(record) })) return [];
      const key = listingKey(sort.field, sort.field === "PRICE" ? { ...facts, min: listedPrice(facts.prices, filter) ?? facts.min } : facts);
      if (after !== undefined && (ascending ? key <= after : key >= after)) return [];
      return [{ id: facts.id, key, card: cardOf(facts) }];
    });
    matching.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (ascending ? 1 : -1));
    const items = matching.slice(0, first);
    return { items, hasNextPage: matching.length > first, endKey: items.at(-1)?.key ?? null };
  }

  async close() {
    await this.journal?.close();
  }
}
