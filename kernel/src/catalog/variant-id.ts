/**
 * How a variant's id names its product. Stock, cart lines, reservations and order lines are
 * kept per variant; every service that holds a variant id can tell its product without asking
 * the catalog, and data written before variants existed stays valid:
 *
 * - a product without options has exactly one variant, its default one, whose id IS the
 *   product's id (so a stock row, cart line or order line keyed by a product id before
 *   variants existed now names that product's default variant, unchanged);
 * - every other variant's id is `<productId>:<key>`, `key` unique within the product and
 *   never reused.
 */
export const VARIANT_ID_SEPARATOR = ":";

/** The product a variant belongs to. */
export function productIdOfVariant(variantId: string): string {
  const at = variantId.indexOf(VARIANT_ID_SEPARATOR);
  return at < 0 ? variantId : variantId.slice(0, at);
}

/** Whether the id names a product's default variant (the only variant of a product without options). */
export function isDefaultVariantId(variantId: string): boolean {
  return !variantId.includes(VARIANT_ID_SEPARATOR);
}

/** The id of a product's variant with the given key. */
export function variantIdOf(productId: string, key: string): string {
  if (!key || key.includes(VARIANT_ID_SEPARATOR)) throw new Error(`invalid variant key ${JSON.stringify(key)}`);
  return `${productId}${VARIANT_ID_SEPARATOR}${key}`;
}
