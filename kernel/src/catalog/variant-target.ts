import { badInput } from "../errors/domain-error.js";

/** Longer than any id the catalog hands out: refused before anything is looked up or stored. */
export const MAX_CATALOG_ID_LENGTH = 100;

/**
 * A variant as a mutation names it (cart lines, restock): by its id, or by its product's id,
 * meaning that product's only variant (VARIANT_REQUIRED when it has several).
 */
export interface VariantTarget {
  variantId?: string | null;
  productId?: string | null;
}

/**
 * Exactly one of the two ids, 1-100 characters: BAD_USER_INPUT otherwise, before any lookup.
 * Which one was given decides how the caller resolves it.
 */
export function validVariantTarget(target: VariantTarget): { variantId: string; productId?: undefined } | { variantId?: undefined; productId: string } {
  const hasVariant = target.variantId !== undefined && target.variantId !== null;
  const hasProduct = target.productId !== undefined && target.productId !== null;
  if (hasVariant === hasProduct) throw badInput("Name exactly one of variantId and productId", { field: "variantId" });
  const [field, id] = hasVariant ? (["variantId", target.variantId!] as const) : (["productId", target.productId!] as const);
  if (id.trim().length === 0 || id.length > MAX_CATALOG_ID_LENGTH) throw badInput(`${field} must have 1-${MAX_CATALOG_ID_LENGTH} characters`, { field });
  return hasVariant ? { variantId: id } : { productId: id };
}
