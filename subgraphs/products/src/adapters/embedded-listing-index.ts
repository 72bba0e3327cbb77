import type { Product } from "../domain/product.js";
import { listingKey, matchesFilter } from "../listing/listing-facts.js";
import type { ListingQuery } from "../listing/listing-query.js";
import { emptyRecord, inStock, withPopularity, withProduct, withStock, type ListingRecord } from "../listing/listing-record.js";
import type { ListingIndex, ListingPage, StockRecord } from "../ports/listing-index.js";

/** Listings in memory for the zero-setup mode: sorted on every read, the catalog being small there. */
export class EmbeddedListingIndex implements ListingIndex {
  readonly engine = "embedded";
  private readonly records = new Map<string, ListingRecord>();

  async sync(products: ReadonlyMap<string, Product | null>) {
    for (const [id, product] of products) {
      const record = this.records.get(id) ?? emptyRecord(id);
      this.records.set(id, withProduct(record, product));
    }
  }

  async recordStock(change: StockRecord) {
    const record = this.records.get(change.productId) ?? emptyRecord(change.productId);
    const next = withStock(record, change);
    this.records.set(change.productId, next);
    return inStock(next) !== inStock(record);
  }

  async addPopularity(batch: number, units: ReadonlyMap<string, number>) {
    for (const [id, sold] of units) this.records.set(id, withPopularity(this.records.get(id) ?? emptyRecord(id), batch, sold));
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
      const key = listingKey(sort.field, facts);
      if (after !== undefined && (ascending ? key <= after : key >= after)) return [];
      return [{ id: facts.id, key }];
    });
    matching.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (ascending ? 1 : -1));
    const items = matching.slice(0, first);
    return { items, hasNextPage: matching.length > first, endKey: items.at(-1)?.key ?? null };
  }

  async close() {}
}
