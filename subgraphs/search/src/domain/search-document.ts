import type { Product, ProductChangeEvent } from "../../../products/src/domain/product.js";
import type { IndexChange, SearchDocument } from "../ports/search-index.js";
import { variantFields } from "./variant-facets.js";

/** The product fields search reads, whether from an event, the catalog scan or the store. */
export type IndexableProduct = Pick<Product, "id" | "name" | "description" | "category" | "brand" | "attributes" | "version" | "popularity"> & {
  price: { amount: number; currency: string };
  /** Absent in events from before variants: the product is then its own single variant. */
  variants?: { options: { name: string; value: string }[]; price: { amount: number } }[];
  createdAt: Date | string;
};

/**
 * What search keeps of a product. Dates may arrive as ISO strings (events travel as JSON)
 * or as Dates (in process), so both are read.
 */
export function toSearchDocument(product: IndexableProduct): SearchDocument {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    category: product.category,
    brand: product.brand,
    attributes: Object.values(product.attributes ?? {}),
    ...variantFields(product),
    currency: product.price.currency,
    createdAt: new Date(product.createdAt).getTime(),
    popularity: product.popularity ?? 0,
    version: product.version,
  };
}

/** The index change a catalog event asks for. */
export function toIndexChange(event: ProductChangeEvent): IndexChange {
  return event.type === "ProductUpserted"
    ? { kind: "upsert", document: toSearchDocument(event.product) }
    : { kind: "delete", id: event.productId, version: event.version };
}
