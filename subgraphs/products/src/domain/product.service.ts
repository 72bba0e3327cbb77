import { randomUUID } from "node:crypto";
import { badInput, notFound, pageSize, encodeCursor, decodeCursor } from "#kernel";
import type { Product } from "./product.js";
import { validChanges, validSku, type ProductChangesInput } from "./product.validation.js";
import { DuplicateSkuError, type ListPosition, type ProductStore } from "../ports/product-store.js";
import { DomainError, ErrorCode } from "#kernel";

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
  typeof value === "object" && value !== null && typeof (value as ListPosition).createdAt === "string" && typeof (value as ListPosition).id === "string";

/**
 * Catalog rules. Writes go to the store, which records each one as an unpublished change;
 * `onWrite` nudges the change relay so events leave promptly.
 */
export function createProductService(deps: { store: ProductStore; clock?: () => Date; onWrite?: () => void }) {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const nudge = deps.onWrite ?? (() => {});

  return {
    findByIds: (ids: readonly string[]) => store.findByIds(ids),

    async list(args: { first?: number | null; after?: string | null; category?: string | null }): Promise<ProductPage> {
      const first = pageSize(args.first);
      const after = args.after ? decodeCursor(args.after, isPosition) : undefined;
      const category = args.category ?? undefined;
      const { items, hasNextPage } = await store.list({ first, after, category });
      const edges = items.map((node) => ({ cursor: encodeCursor({ createdAt: node.createdAt.toISOString(), id: node.id }), node }));
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
      nudge();
      return product;
    },

    async update(id: string, input: ProductChangesInput): Promise<Product> {
      const current = (await store.findByIds([id])).get(id);
      if (!current) throw notFound("Product", id);
      const changes = validChanges(input, current.price.currency);
      if (Object.keys(changes).length === 0) throw badInput("Nothing to change: give at least one field");
      const updated = await store.update(id, changes, clock());
      if (!updated) throw notFound("Product", id);
      nudge();
      return updated;
    },

    async remove(id: string): Promise<string> {
      if (!(await store.remove(id, clock()))) throw notFound("Product", id);
      nudge();
      return id;
    },
  };
}

export type ProductService = ReturnType<typeof createProductService>;
