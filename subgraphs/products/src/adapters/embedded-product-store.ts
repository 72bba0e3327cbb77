import type { Product, ProductChanges } from "../domain/product.js";
import { DuplicateSkuError, type ListPosition, type ProductListQuery, type ProductStore, type PublishedChange, type UnpublishedChange } from "../ports/product-store.js";

interface Slot {
  product: Product;
  deleted: boolean;
  publishedVersion: number;
}

/** In-memory catalog for the zero-setup mode; the same guarantees as the MongoDB store. */
export class EmbeddedProductStore implements ProductStore {
  readonly engine = "embedded";
  private readonly slots = new Map<string, Slot>();
  private readonly skus = new Map<string, string>();
  private listing: Product[] | undefined;

  async findByIds(ids: readonly string[]) {
    const found = new Map<string, Product>();
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (slot && !slot.deleted) found.set(id, structuredClone(slot.product));
    }
    return found;
  }

  async list({ first, after, category }: ProductListQuery) {
    let items = this.sorted();
    if (category) items = items.filter((p) => p.category === category);
    if (after) items = items.filter((p) => isAfter(p, after));
    return { items: items.slice(0, first).map((p) => structuredClone(p)), hasNextPage: items.length > first };
  }

  async count({ category }: { category?: string }) {
    return category ? this.sorted().filter((p) => p.category === category).length : this.sorted().length;
  }

  async insert(product: Product) {
    const owner = this.skus.get(product.sku);
    if (owner !== undefined && !this.slots.get(owner)?.deleted) throw new DuplicateSkuError(product.sku);
    this.slots.set(product.id, { product: structuredClone(product), deleted: false, publishedVersion: 0 });
    this.skus.set(product.sku, product.id);
    this.listing = undefined;
  }

  async insertMany(products: Product[], options: { announce?: boolean } = {}) {
    for (const product of products) {
      await this.insert(product);
      if (options.announce === false) this.slots.get(product.id)!.publishedVersion = product.version;
    }
  }

  async update(id: string, changes: ProductChanges, now: Date) {
    const slot = this.slots.get(id);
    if (!slot || slot.deleted) return null;
    slot.product = { ...slot.product, ...structuredClone(changes), updatedAt: now, version: slot.product.version + 1 };
    this.listing = undefined;
    return structuredClone(slot.product);
  }

  async remove(id: string, now: Date) {
    const slot = this.slots.get(id);
    if (!slot || slot.deleted) return false;
    slot.deleted = true;
    slot.product = { ...slot.product, updatedAt: now, version: slot.product.version + 1 };
    this.skus.delete(slot.product.sku);
    this.listing = undefined;
    return true;
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
    for (const { productId, version } of changes) {
      const slot = this.slots.get(productId);
      if (!slot || slot.product.version !== version) continue;
      slot.publishedVersion = version;
      if (slot.deleted) this.slots.delete(productId);
    }
  }

  async *scan(batchSize: number, after?: string) {
    const live = [...this.slots.values()].filter((s) => !s.deleted && (after === undefined || s.product.id > after)).map((s) => s.product);
    live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < live.length; i += batchSize) yield live.slice(i, i + batchSize).map((p) => structuredClone(p));
  }

  async close() {}

  private sorted(): Product[] {
    if (!this.listing) {
      this.listing = [...this.slots.values()].filter((s) => !s.deleted).map((s) => s.product);
      this.listing.sort(newestFirst);
    }
    return this.listing;
  }
}

function newestFirst(a: Product, b: Product): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  return byTime !== 0 ? byTime : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isAfter(product: Product, position: ListPosition): boolean {
  const time = product.createdAt.toISOString();
  return time < position.createdAt || (time === position.createdAt && product.id < position.id);
}
