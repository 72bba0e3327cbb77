import type { Filter, IndexDescription } from "mongodb";
import type { Product } from "../domain/product.js";

/**
 * A product as a MongoDB document. `pending` is the outbox kept inside the document: the
 * write that changes a product also sets it, in the same single-document update, so the
 * change and its announcement cannot diverge without transactions (FerretDB has none).
 * `seq`/`listBlock` place it in the whole catalog's listing, `categorySeq`/`categoryBlock` in
 * its category's (see LISTING_BLOCK).
 */
export interface ProductDocument extends Omit<Product, "id"> {
  _id: string;
  deleted: boolean;
  pending: boolean;
  seq: number;
  listBlock: string;
  categorySeq: number;
  categoryBlock: string;
}

/**
 * Listings are read a block at a time: the products numbered [k * 100, k * 100 + 99] in the
 * order they were added share one block key, and a page reads the newest blocks until it is
 * full. Every catalog query is thus an equality on one indexed field, the only shape FerretDB
 * v1 pushes down to its SQL backend (`_jsonb->'f' @> value`, served by the GIN twin of the
 * field's index; see scripts/services/ferretdb/gin-twins.sql); ranges, sorts, `$in` and `$or`
 * it answers by reading the whole collection and sorting it in its own memory (measured:
 * minutes and 10 GB at 1M products). A block holds at most 100 products, so a page costs one
 * or two indexed queries of bounded size at any catalog size.
 */
export const LISTING_BLOCK = 100;

export const listBlockKey = (seq: number) => `b${Math.floor(seq / LISTING_BLOCK)}`;
export const categoryBlockKey = (category: string, seq: number) => `${category}/b${Math.floor(seq / LISTING_BLOCK)}`;

/**
 * Every filter the store sends, by name: the plan test explains each of them on a sizeable
 * collection and fails on a sequential scan.
 */
export const productQueries = {
  byId: (id: string): Filter<ProductDocument> => ({ _id: id, deleted: false }),
  byIdAndVersion: (id: string, version: number): Filter<ProductDocument> => ({ _id: id, version }),
  listBlock: (block: number): Filter<ProductDocument> => ({ listBlock: `b${block}`, deleted: false }),
  categoryBlock: (category: string, block: number): Filter<ProductDocument> => ({ categoryBlock: `${category}/b${block}`, deleted: false }),
  unpublished: (): Filter<ProductDocument> => ({ pending: true }),
};

/** Single-field indexes only: FerretDB's PostgreSQL side gives exactly those a GIN twin. */
export const PRODUCT_INDEXES: (IndexDescription & { name: string })[] = [
  { key: { sku: 1 }, name: "sku_unique", unique: true },
  { key: { listBlock: 1 }, name: "list_block" },
  { key: { categoryBlock: 1 }, name: "category_block" },
  { key: { pending: 1 }, name: "pending" },
];

export function toDocument(product: Product, place: { seq: number; categorySeq: number }, announce: boolean): ProductDocument {
  const { id, ...fields } = structuredClone(product);
  return {
    _id: id,
    ...fields,
    deleted: false,
    pending: announce,
    seq: place.seq,
    listBlock: listBlockKey(place.seq),
    categorySeq: place.categorySeq,
    categoryBlock: categoryBlockKey(product.category, place.categorySeq),
  };
}

export function toProduct(doc: ProductDocument): Product {
  return {
    id: doc._id,
    sku: doc.sku,
    name: doc.name,
    description: doc.description,
    price: { amount: doc.price.amount, currency: doc.price.currency },
    images: doc.images.map(({ url, alt }) => ({ url, alt })),
    category: doc.category,
    brand: doc.brand,
    attributes: { ...doc.attributes },
    createdAt: new Date(doc.createdAt),
    updatedAt: new Date(doc.updatedAt),
    version: doc.version,
  };
}
