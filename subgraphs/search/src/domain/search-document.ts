import type { Product, ProductChangeEvent } from "../../../products/src/domain/product.js";
import type { IndexChange, SearchDocument } from "../ports/search-index.js";
import { variantFields } from "./variant-facets.js";
import { symbolNameWords } from "./symbol-names.js";

/** The product fields search reads, whether from an event, the catalog scan or the store. */
export type IndexableProduct = Pick<Product, "id" | "name" | "description" | "category" | "brand" | "attributes" | "version" | "popularity"> & {
  price: { amount: number; currency: string };
  /** The product's SKU (its default variant's); absent where a caller has none to give. */
  sku?: string;
  /** Absent in events from before variants: the product is then its own single variant. */
  variants?: { sku?: string; options: { name: string; value: string }[]; price: { amount: number } }[];
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
    attributes: [
      ...Object.values(product.attributes ?? {}),
      ...skusOf(product),
      ...symbolNameWords([product.name, product.description, ...Object.values(product.attributes ?? {})]),
    ],
    ...variantFields(product),
    currency: product.price.currency,
    createdAt: new Date(product.createdAt).getTime(),
    popularity: product.popularity ?? 0,
    version: product.version,
  };
}

/**
 * The product's SKUs and its variants', searched as facts of the product: a shopper or a clerk
 * typing one from a receipt, a label or an order line (AUT-0000600, any case, or its number
 * alone) finds its product, where the search once answered nothing. Kept with the attribute
 * values, so neither engine's mapping changes; a product indexed before is found by its SKU
 * once it is indexed again (any change, or a rebuild).
 */
function skusOf(product: IndexableProduct): string[] {
  return [...new Set([product.sku, ...(product.variants ?? []).map((variant) => variant.sku)].filter((sku): sku is string => !!sku))];
}

/** The index change a catalog event asks for. */
export function toIndexChange(event: ProductChangeEvent): IndexChange {
  return event.type === "ProductUpserted"
    ? { kind: "upsert", document: toSearchDocument(event.product) }
    : { kind: "delete", id: event.productId, version: event.version };
}
