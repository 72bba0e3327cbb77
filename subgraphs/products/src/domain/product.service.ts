import { randomUUID } from "node:crypto";
import { badInput, notFound, pageSize, encodeCursor, decodeCursor } from "#kernel";
import type { Product } from "./product.js";
import { validChanges, validSku, type ProductChangesInput } from "./product.validation.js";
import { DuplicateSkuError, type ListPosition, type ProductStore } from "../ports/product-store.js";
import { DomainError, ErrorCode, type Logger } from "#kernel";
import type { ProductCache } from "./product-cache.js";

export interface CreateProductInput extends ProductChangesInput {
  sku: string;
  name: string;
  description: string;
  priceAmount: number;
  currency: string;
  category: string;
  brand: string;
}

export interface ProductPage {
  edges: { cursor: string; node: Product }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: () => Promise<number>;
}

const isPosition = (value: unknown): value is ListPosition =>
  typeof value === "object" && value !== null && Number.isSafeInteger((value as ListPosition).seq) && (value as ListPosition).seq > 0;

export interface CatalogPage {
  products: Product[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * Catalog rules. Writes go to the store, which records each one as an unpublished change;
 * `onWrite` nudges the change relay so events leave promptly. Reads by id go through the hot
 * cache when there is one; a write invalidates its product at once for this process (the
 * change event does it for every other process).
 */
export function createProductService(deps: { store: ProductStore; cache?: ProductCache; clock?: () => Date; onWrite?: () => void; logger?: Logger }) {
  const { store, cache } = deps;
  const clock = deps.clock ?? (() => new Date());
  const notify = deps.onWrite ?? (() => {});
  const written = async (id: string) => {
    notify();
    await cache?.invalidate(id).catch((error: unknown) => deps.logger?.warn("product cache invalidation failed; the change event will retry", { productId: id, error: String(error) }));
  };

  return {
    findByIds: (ids: readonly string[]) => (cache ? cache.getMany(ids, (missing) => store.findByIds(missing)) : store.findByIds(ids)),

    /** The live catalog, oldest first, a page at a time (reindexing search). */
    async catalogPage(args: { after?: string | null; first?: number | null }): Promise<CatalogPage> {
      const first = pageSize(args.first, { fallback: 500, max: 2_000 });
      const iterator = store.scan(first, args.after ?? undefined)[Symbol.asyncIterator]();
      const page = await iterator.next();
      await iterator.return?.();
      const products = page.done ? [] : page.value.products;
      return { products, endCursor: page.done ? null : page.value.after, hasNextPage: products.length === first };
    },

    async list(args: { first?: number | null; after?: string | null; category?: string | null }): Promise<ProductPage> {
      const first = pageSize(args.first);
      const after = args.after ? decodeCursor(args.after, isPosition) : undefined;
      const category = args.category ?? undefined;
      const { items, hasNextPage } = await store.list({ first, after, category });
      const edges = items.map(({ product, position }) => ({ cursor: encodeCursor(position), node: product }));
      return { edges, hasNextPage, endCursor: edges.at(-1)?.cursor ?? null, totalCount: () => store.count({ category }) };
    },

    async create(input: CreateProductInput): Promise<Product> {
      const sku = validSku(input.sku);
      const fields = validChanges({ ...input, images: input.images ?? [], attributes: input.attributes ?? [] }, input.currency);
      const now = clock();
      const product: Product = {
        id: `prod_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
        sku,
        name: fields.name!,
        description: fields.description!,
        price: fields.price!,
        category: fields.category!,
        brand: fields.brand!,
        images: fields.images ?? [],
        attributes: fields.attributes ?? {},
        createdAt: now,
        updatedAt: now,
        version: 1,
      };
      try {
        await store.insert(product);
      } catch (error) {
        if (error instanceof DuplicateSkuError) throw new DomainError(ErrorCode.CONFLICT, `SKU ${sku} is already used by another product`, { field: "sku" });
        throw error;
      }
      await written(product.id);
      return product;
    },

    async update(id: string, input: ProductChangesInput): Promise<Product> {
      const current = (await store.findByIds([id])).get(id);
      if (!current) throw notFound("Product", id);
      const changes = validChanges(input, current.price.currency);
      if (Object.keys(changes).length === 0) throw badInput("Nothing to change: give at least one field");
      const updated = await store.update(id, changes, clock());
      if (!updated) throw notFound("Product", id);
      await written(id);
      return updated;
    },

    async remove(id: string): Promise<string> {
      if (!(await store.remove(id, clock()))) throw notFound("Product", id);
      await written(id);
      return id;
    },
  };
}

export type ProductService = ReturnType<typeof createProductService>;
