import type { Money } from "#kernel";
import type { Product, ProductVariant } from "./product.js";

/**
 * The single variant of a product without options: its id is the product's id and its SKU the
 * product's SKU (kernel/src/catalog/variant-id.ts), so stock rows, cart lines and order lines
 * written with a product id before variants existed name it unchanged.
 */
export function defaultVariant(product: Pick<Product, "id" | "sku" | "price">): ProductVariant {
  return { id: product.id, sku: product.sku, options: [], price: { ...product.price }, images: [] };
}

/** What a product costs "from": the lowest of its variants' prices (all share one currency). */
export function lowestPrice(variants: readonly ProductVariant[]): Money {
  const lowest = variants.reduce((low, variant) => (variant.price.amount < low.price.amount ? variant : low), variants[0]!);
  return { ...lowest.price };
}

/** The lowest and the highest variant price. */
export function priceRange(product: Pick<Product, "variants">): { min: Money; max: Money } {
  const highest = product.variants.reduce((high, variant) => (variant.price.amount > high.price.amount ? variant : high), product.variants[0]!);
  return { min: lowestPrice(product.variants), max: { ...highest.price } };
}

/** How a variant is named to a shopper: "Red / M", or the product's name for its default variant. */
export function variantTitle(product: Pick<Product, "name">, variant: Pick<ProductVariant, "options">): string {
  return variant.options.length ? variant.options.map((option) => option.value).join(" / ") : product.name;
}

/**
 * A product as written before variants existed (no `options`, no `variants`) read as this
 * version sees it: no options and its default variant. Lets every read accept a document the
 * catalog migration has not reached yet.
 */
export function withVariants<T extends Omit<Product, "options" | "variants" | "lastVariantKey"> & Partial<Pick<Product, "options" | "variants" | "lastVariantKey">>>(
  product: T,
): T & Pick<Product, "options" | "variants" | "lastVariantKey"> {
  const variants = product.variants?.length ? product.variants : [defaultVariant(product)];
  return { ...product, options: product.options ?? [], variants, lastVariantKey: product.lastVariantKey ?? 0 };
}
