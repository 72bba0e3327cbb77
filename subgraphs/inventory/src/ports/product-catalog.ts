/** What the inventory asks the catalog before recording stock: which variants exist. */
export interface ProductCatalog {
  /** The ids of the product's variants (at least one), or null when the catalog does not know the product. */
  variantIdsOf(productId: string): Promise<string[] | null>;
  /** Whether the catalog knows the variant (its product exists and has it). */
  variantExists(variantId: string): Promise<boolean>;
}
