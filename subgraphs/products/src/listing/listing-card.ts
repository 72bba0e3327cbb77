import type { Money } from "#kernel";
import type { Product, ProductImage } from "../domain/product.js";
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
}

/** A product as a listing page serves it when the query asks only for what its card holds. */
export interface ProductCard extends ListingCard {
  readonly card: true;
  id: string;
}

/** What the products subgraph resolves a Product from: the product, or its listing card. */
export type ProductSource = Product | ProductCard;

export const isCard = (source: ProductSource): source is ProductCard => (source as Partial<ProductCard>).card === true;

/**
 * The Product fields a card answers. Any other field in a listing page's selection makes the
 * page read the products themselves.
 */
export const CARD_FIELDS: ReadonlySet<string> = new Set(["__typename", "id", "name", "price", "priceRange", "featuredImage"]);

/** The card of a product's listing facts; none for facts kept before listings carried cards. */
export function cardOf(facts: Pick<ListingFacts, "name" | "prices" | "currency" | "image">): ListingCard | undefined {
  if (facts.currency === undefined || facts.image === undefined || facts.prices.length === 0) return undefined;
  return { name: facts.name, price: { amount: facts.prices[0]!, currency: facts.currency }, prices: facts.prices, image: facts.image };
}
