import type { Money } from "#kernel";

/**
 * A picture of a product. `url` is a blob path served through the image origin (or CDN), or
 * an absolute URL. Images attached from an upload also carry their size, and once the
 * renditions worker has made them, the widths of their renditions; images written before
 * uploads existed have only `url` and `alt`, and keep working as they are.
 */
export interface ProductImage {
  url: string;
  alt: string;
  /** Pixels of the original, for uploaded images. */
  width?: number;
  height?: number;
  /** Widths made in every rendition format (renditions worker); absent until then. */
  renditionWidths?: number[];
}

/** One way a product varies, with the choices it offers, for example Size: S, M, L. */
export interface ProductOption {
  name: string;
  values: string[];
}

/** The value a variant has for one of its product's options. */
export interface SelectedOption {
  name: string;
  value: string;
}

/**
 * One buyable version of a product: stock, cart lines and order lines are per variant. Its id
 * follows kernel/src/catalog/variant-id.ts (a product without options has a single default
 * variant whose id is the product's id).
 */
export interface ProductVariant {
  id: string;
  sku: string;
  /** One value for each of the product's options, in the product's option order; empty for a default variant. */
  options: SelectedOption[];
  price: Money;
  /** The variant's own pictures; empty means the product's. */
  images: ProductImage[];
}

/** A variant with the product it belongs to: what the API serves as a ProductVariant. */
export interface VariantOfProduct extends ProductVariant {
  product: Product;
}

/** A catalog product as stored: flexible attributes differ by category. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: Money;
  images: ProductImage[];
  category: string;
  brand: string;
  attributes: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  /** The ways the product varies, in display order; empty for a product without options. */
  options: ProductOption[];
  /**
   * At least one: a product without options has exactly its default variant (id = product id,
   * sku = product sku); `price` is the lowest of their prices.
   */
  variants: ProductVariant[];
  /**
   * The highest variant key handed out so far: the next variant gets the one after it, so a
   * removed variant's id (kept in old carts and orders) never names another variant.
   */
  lastVariantKey: number;
  /** Increases with every write; change events carry it so consumers apply them in order. */
  version: number;
  /**
   * Fingerprint of the keyed createProduct request that made it: tells a retry under the key
   * from a reuse for another product. Absent without a key, and on products created before it
   * was kept (those are told by their SKU).
   */
  creationHash?: string;
  /**
   * Units sold in paid orders, a ranking signal for listings and autocomplete; maintained from
   * order events, absent means none sold yet.
   */
  popularity?: number;
}

export type ProductChanges = Partial<
  Pick<Product, "sku" | "name" | "description" | "price" | "images" | "category" | "brand" | "attributes" | "options" | "variants" | "lastVariantKey">
>;

/** What the catalog announces after every write; search and caches follow it. */
export type ProductChangeEvent =
  | { type: "ProductUpserted"; product: Product }
  | { type: "ProductDeleted"; productId: string; version: number };

