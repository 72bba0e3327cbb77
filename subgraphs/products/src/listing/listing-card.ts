import type { Money } from "#kernel";
import type { Product, ProductImage, VariantOfProduct } from "../domain/product.js";
import type { ListingFacts } from "./listing-facts.js";

/**
 * What a listing entry shows of its product without reading it: a product card. Kept in the
 * listing with the entry and changed with it, so it is as fresh as the product's place in the
 * listing (the catalog's change events list it within milliseconds, see BENCHMARKS.md).
 */
export interface ListingCard {
  name: string;
  /** The "from" price: the lowest variant price (a product's `price`). */
  price: Money;
  /** Every variant's price, distinct, ascending: the price range. */
  prices: readonly number[];
  image: ProductImage | null;
  /** Its variants' ids, in order: what inventory's `stock` and `inStock` require of a product. */
  variantIds: readonly string[];
}

/** A product as a listing page serves it when the query asks only for what its card holds. */
export interface ProductCard extends ListingCard {
  readonly card: true;
  id: string;
}

/** What the products subgraph resolves a Product from: the product, or its listing card. */
export type ProductSource = Product | ProductCard;

/** A variant of a card: its id only (what inventory requires). */
export interface VariantCard {
  readonly card: true;
  id: string;
}

/** What the products subgraph resolves a ProductVariant from. */
export type VariantSource = VariantOfProduct | VariantCard;

export const isCard = <T extends ProductSource | VariantSource>(source: T): source is Extract<T, { card: true }> => (source as { card?: boolean }).card === true;

/** Which fields of a type a selection may ask for, and of each, which fields beneath (true: any). */
export type SelectionAllowance = ReadonlyMap<string, SelectionAllowance | true>;

/**
 * What a card answers: these Product fields, and of `variants` the ids only. Anything else in
 * a listing page's selection makes the page read the products themselves.
 */
export const CARD_SELECTION: SelectionAllowance = new Map<string, SelectionAllowance | true>([
  ["__typename", true],
  ["id", true],
  ["name", true],
  ["price", true],
  ["priceRange", true],
  ["featuredImage", true],
  ["variants", new Map([["__typename", true], ["id", true]])],
]);

/** The card of a product's listing facts; none for facts kept before listings carried cards. */
export function cardOf(facts: Pick<ListingFacts, "name" | "prices" | "currency" | "image" | "variantIds">): ListingCard | undefined {
  if (facts.currency === undefined || facts.image === undefined || facts.variantIds === undefined || facts.prices.length === 0) return undefined;
  return { name: facts.name, price: { amount: facts.prices[0]!, currency: facts.currency }, prices: facts.prices, image: facts.image, variantIds: facts.variantIds };
}
