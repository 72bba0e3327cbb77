import type { Product } from "../domain/product.js";
import { skusOf } from "../domain/product-variant.validation.js";
import { withVariants } from "../domain/product-variants.js";
import { EmbeddedCatalogJournal } from "./embedded-catalog-journal.js";
import { resumeAfter, scanPosition } from "../domain/scan-position.js";
import { DuplicateSkuError, type ListedProduct, type ProductEdit, type ProductListQuery, type ProductStore, type PublishedChange, type ScanBatch, type ScanOrder, type UnpublishedChange } from "../ports/product-store.js";

interface Slot {
  product: Product;
  deleted: boolean;
  publishedVersion: number;
  /** Place in the whole catalog's listing, and in its category's (renewed when it moves). */
  seq: number;
  categorySeq: number;
}

/** In-memory catalog for the zero-setup mode; the same guarantees as the MongoDB store. */
export class EmbeddedProductStore implements ProductStore {
  readonly engine = "embedded";
  private readonly slots = new Map<string, Slot>();
  private readonly skus = new Map<string, string>();
  private readonly lastSeq = new Map<string, number>();
  private journal?: EmbeddedCatalogJournal<Slot>;

  /**
   * The catalog kept in `dir` across restarts: loaded from its journal, and every write
   * durable before it returns (see EmbeddedCatalogJournal).
   */
  static async open(dir: string, options: { onWarning?: (message: string, detail: Record<string, unknown>) => void; compactAfter?: number } = {}) {
    const store = new EmbeddedProductStore();
    store.journal = await EmbeddedCatalogJournal.open(dir, { slots: store.slots, lastSeq: store.lastSeq }, options);
    for (const [id, slot] of store.slots) {
      // A product journaled before variants existed reads as this version writes it.
      slot.product = withVariants(slot.product);
      if (!slot.deleted) for (const sku of skusOf(slot.product)) store.skus.set(sku, id);
    }
    return store;
  }

  async findByIds(ids: readonly string[]) {
    const found = new Map<string, Product>();
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (slot && !slot.deleted) found.set(id, structuredClone(slot.product));
    }
    return found;
  }

  async list({ first, after, category }: ProductListQuery) {
    const place = (slot: Slot) => (category ? slot.categorySeq : slot.seq);
    const items = this.live()
      .filter((slot) => (!category || slot.product.category === category) && (!after || place(slot) < after.seq))
      .sort((a, b) => place(b) - place(a));
    const page = items.slice(0, first).map((slot): ListedProduct => ({ product: structuredClone(slot.product), position: { seq: place(slot) } }));
    return { items: page, hasNextPage: items.length > first };
  }

  async count({ category }: { category?: string }) {
    return this.live().filter((slot) => !category || slot.product.category === category).length;
  }

  async isEmpty() {
    return this.slots.size === 0;
  }

  async insert(product: Product) {
    this.place(product);
    await this.persist([product.id]);
  }

  private place(product: Product) {
    const stored = structuredClone(withVariants(product));
    this.claimSkus(product.id, skusOf(stored));
    this.slots.set(product.id, { product: stored, deleted: false, publishedVersion: 0, seq: this.next(""), categorySeq: this.next(product.category) });
  }

  async insertMany(products: Product[], options: { announce?: boolean } = {}) {
    const placed: string[] = [];
    try {
      for (const product of products) {
        this.place(product);
        placed.push(product.id);
        if (options.announce === false) this.slots.get(product.id)!.publishedVersion = product.version;
      }
    } finally {
      // One journal write for the whole load, what a duplicate SKU stopped short of included.
      await this.persist(placed);
    }
  }

  async update(id: string, edit: ProductEdit, now: Date) {
    const slot = this.slots.get(id);
    if (!slot || slot.deleted) return null;
    const changes = typeof edit === "function" ? edit(structuredClone(slot.product)) : edit;
    if (changes.sku !== undefined || changes.variants !== undefined) {
      const before = skusOf(slot.product);
      const after = skusOf({ sku: changes.sku ?? slot.product.sku, variants: changes.variants ?? slot.product.variants });
      this.claimSkus(id, after);
      for (const sku of before) if (!after.includes(sku)) this.skus.delete(sku);
    }
    if (changes.category !== undefined && changes.category !== slot.product.category) slot.categorySeq = this.next(changes.category);
    slot.product = { ...slot.product, ...structuredClone(changes), updatedAt: now, version: slot.product.version + 1 };
    const updated = structuredClone(slot.product);
    await this.persist([id]);
    return updated;
  }

  async remove(id: string, now: Date) {
    const slot = this.slots.get(id);
    if (!slot || slot.deleted) return false;
    slot.deleted = true;
    slot.product = { ...slot.product, updatedAt: now, version: slot.product.version + 1 };
    for (const sku of skusOf(slot.product)) this.skus.delete(sku);
    await this.persist([id]);
    return true;
  }

  async wasDeleted(id: string) {
    return this.slots.get(id)?.deleted === true;
  }

  async unpublishedChanges(limit: number) {
    const changes: UnpublishedChange[] = [];
    for (const slot of this.slots.values()) {
      if (slot.product.version <= slot.publishedVersion) continue;
      changes.push({
        productId: slot.product.id,
        version: slot.product.version,
        deleted: slot.deleted,
        product: slot.deleted ? undefined : structuredClone(slot.product),
      });
      if (changes.length >= limit) break;
    }
    return changes;
  }

  async markPublished(changes: readonly PublishedChange[]) {
    const marked: string[] = [];
    for (const { productId, version } of changes) {
      const slot = this.slots.get(productId);
      if (!slot || slot.product.version !== version) continue;
      slot.publishedVersion = version;
      marked.push(productId);
    }
    await this.persist(marked);
  }

  async *scan(batchSize: number, after?: string, order: ScanOrder = {}): AsyncIterable<ScanBatch> {
    const from = resumeAfter(after, order);
    const live = this.live()
      .filter((slot) => from === undefined || (order.newestFirst ? slot.seq < from : slot.seq > from))
      .sort((a, b) => (order.newestFirst ? b.seq - a.seq : a.seq - b.seq));
    for (let i = 0; i < live.length; i += batchSize) {
      const batch = live.slice(i, i + batchSize);
      yield { products: batch.map((slot) => structuredClone(slot.product)), after: scanPosition(batch.at(-1)!.seq, order) };
    }
  }

  async close() {
    await this.journal?.close();
  }

  /** Snapshots the journal now (tools and benchmarks; it also happens by itself as it grows). */
  async compact() {
    await this.journal?.compact();
  }

  /** Only the zero-setup mode journals: tests and benchmarks of the port run in memory. */
  private async persist(ids: readonly string[]) {
    if (ids.length) await this.journal?.save(ids);
  }

  /** Every SKU is the catalog's once, a variant's as much as a product's; all or none are taken. */
  private claimSkus(productId: string, skus: readonly string[]) {
    for (const sku of skus) {
      const owner = this.skus.get(sku);
      if (owner !== undefined && owner !== productId && !this.slots.get(owner)?.deleted) throw new DuplicateSkuError(sku, owner);
    }
    for (const sku of skus) this.skus.set(sku, productId);
  }

  private live(): Slot[] {
    return [...this.slots.values()].filter((slot) => !slot.deleted);
  }

  /** The next number in a listing: "" is the whole catalog's, otherwise a category's. */
  private next(listing: string): number {
    const seq = (this.lastSeq.get(listing) ?? 0) + 1;
    this.lastSeq.set(listing, seq);
    return seq;
  }
}
