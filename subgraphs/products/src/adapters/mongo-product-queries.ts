import type { Filter, IndexDescription } from "mongodb";
import type { Product, ProductImage } from "../domain/product.js";
import { withVariants } from "../domain/product-variants.js";

/**
 * A product as a MongoDB document. `pending` is the outbox kept inside the document: the
 * write that changes a product also sets it, in the same single-document update, so the
 * change and its announcement cannot diverge without transactions (FerretDB has none).
 * `seq`/`listBlock` place it in the whole catalog's listing, `categorySeq`/`categoryBlock` in
 * its category's (see LISTING_BLOCK). `options`, `variants` and `lastVariantKey` are missing
 * from documents written before variants existed until the catalog migration adds them; a
 * read derives them meanwhile (no options, the default variant).
 */
export interface ProductDocument extends Omit<Product, "id" | "options" | "variants" | "lastVariantKey">, Partial<Pick<Product, "options" | "variants" | "lastVariantKey">> {
  _id: string;
  deleted: boolean;
  pending: boolean;
  seq: number;
  listBlock: string;
  categorySeq: number;
  categoryBlock: string;
}

/**
 * Listings are read a block at a time: the products numbered [k * 20, k * 20 + 19] in the
 * order they were added share one block key, and a page reads the blocks its numbers fall in
 * (all at once), then older ones while deletions left it short. Every catalog query is thus
 * an equality on one indexed field, the only shape FerretDB v1 pushes down to its SQL backend
 * (`_jsonb->'f' @> value`, served by the GIN twin of the field's index; see
 * scripts/services/ferretdb/gin-twins.sql); ranges, sorts, `$in` and `$or` it answers by
 * reading the whole collection and sorting it in its own memory (measured: minutes and 10 GB
 * at 1M products).
 *
 * Why 20. What a page costs on FerretDB is the documents it reads (FerretDB converts each
 * from PostgreSQL's JSON, ~0.4 ms a document here) plus ~1.6 ms a query. Measured on 1M
 * products, one client, busy machine, p50/p99: blocks of 100 (a page read 1-2 of them, up to
 * 200 documents) 78/149 ms; a page of 21 `{seq: n}` lookups (exactly the documents needed,
 * 21 queries) 37/84 ms; blocks of 20 read the 21 documents a page needs (20 and one more for
 * `hasNextPage`) in exactly two queries of at most 40 documents. Blocks of 10 would read
 * fewer documents (at most 30) in three queries: the same cost within noise, more queries.
 * The key carries the block size, so a catalog written with another size (or before blocks)
 * is recognised and renumbered by scripts/catalog/migrate-catalog.ts.
 */
export const LISTING_BLOCK = 20;

export const listBlockKey = (seq: number) => `${LISTING_BLOCK}:${Math.floor(seq / LISTING_BLOCK)}`;
export const categoryBlockKey = (category: string, seq: number) => `${category}/${listBlockKey(seq)}`;

/**
 * Every filter the store sends, by name: the plan test explains each of them on a sizeable
 * collection and fails on a sequential scan.
 */
export const productQueries = {
  byId: (id: string): Filter<ProductDocument> => ({ _id: id, deleted: false }),
  byIdAndVersion: (id: string, version: number): Filter<ProductDocument> => ({ _id: id, version }),
  listBlock: (block: number): Filter<ProductDocument> => ({ listBlock: listBlockKey(block * LISTING_BLOCK), deleted: false }),
  categoryBlock: (category: string, block: number): Filter<ProductDocument> => ({ categoryBlock: categoryBlockKey(category, block * LISTING_BLOCK), deleted: false }),
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
  const { id, ...fields } = structuredClone(withVariants(product));
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
  return withVariants({
    id: doc._id,
    sku: doc.sku,
    name: doc.name,
    description: doc.description,
    price: { amount: doc.price.amount, currency: doc.price.currency },
    images: doc.images.map(toImage),
    category: doc.category,
    brand: doc.brand,
    attributes: { ...doc.attributes },
    ...(doc.options ? { options: doc.options.map(({ name, values }) => ({ name, values: [...values] })) } : {}),
    ...(doc.variants ? { variants: doc.variants.map(toVariant) } : {}),
    ...(doc.lastVariantKey !== undefined ? { lastVariantKey: doc.lastVariantKey } : {}),
    ...(doc.creationHash != null ? { creationHash: doc.creationHash } : {}),
    createdAt: new Date(doc.createdAt),
    updatedAt: new Date(doc.updatedAt),
    version: doc.version,
  });
}

function toVariant(variant: NonNullable<ProductDocument["variants"]>[number]) {
  return {
    id: variant.id,
    sku: variant.sku,
    options: variant.options.map(({ name, value }) => ({ name, value })),
    price: { amount: variant.price.amount, currency: variant.price.currency },
    images: variant.images.map(toImage),
  };
}

/** An image as stored; size and rendition widths exist only on uploaded ones, and are kept when they do. */
function toImage(image: ProductImage): ProductImage {
  const { url, alt, width, height, renditionWidths } = image;
  return { url, alt, ...(width ? { width } : {}), ...(height ? { height } : {}), ...(renditionWidths ? { renditionWidths: [...renditionWidths] } : {}) };
}
