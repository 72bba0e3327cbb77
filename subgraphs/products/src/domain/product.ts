import type { Money } from "#kernel";

export interface ProductImage {
  url: string;
  alt: string;
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
  /** Increases with every write; change events carry it so consumers apply them in order. */
  version: number;
}

export type ProductChanges = Partial<Pick<Product, "name" | "description" | "price" | "images" | "category" | "brand" | "attributes">>;

/** What the catalog announces after every write; search and caches follow it. */
export type ProductChangeEvent =
  | { type: "ProductUpserted"; product: Product }
  | { type: "ProductDeleted"; productId: string; version: number };

