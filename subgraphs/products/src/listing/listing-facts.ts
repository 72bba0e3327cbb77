import type { Product, ProductImage } from "../domain/product.js";
import type { ListingFilter, SortField } from "./listing-query.js";

/**
 * What a listing needs to know of a product to order and filter it without reading it:
 * its variants' prices, every option value a variant has (as "name=value", lowercase),
 * its creation time, version and popularity. Stock is kept apart (see StockRecord). With them,
 * what a product card shows (name, "from" price and its currency, the main picture), so a
 * listing page is answered from the listing alone (see listing-card.ts).
 */
export interface ListingFacts {
  id: string;
  category: string;
  name: string;
  createdAt: number;
  version: number;
  popularity: number;
  min: number;
  /** Every variant's price, distinct, ascending. */
  prices: number[];
  options: string[];
  /** Absent in facts kept before listings carried cards (their entries have no card). */
  currency?: string;
  /** The product's first picture; null when it has none. */
  image?: ProductImage | null;
  /** Its variants' ids, in the product's order (inventory's stock fields require them). */
  variantIds?: string[];
}

interface VariantLike {
  price: { amount: number };
  options: { name: string; value: string }[];
}

/** Products written before variants existed have only their own price and no options. */
function variantsOf(product: Product): VariantLike[] {
  const variants = (product as { variants?: VariantLike[] }).variants;
  return variants?.length ? variants : [{ price: product.price, options: [] }];
}

/** A product written before variants existed is its own single (default) variant. */
const variantIdsOf = (product: Product) => ((product as { variants?: { id: string }[] }).variants?.length ? product.variants.map((variant) => variant.id) : [product.id]);

export const optionToken = (name: string, value: string) => `${name.trim().toLowerCase()}=${value.trim().toLowerCase()}`;

export function listingFacts(product: Product, popularity: number): ListingFacts {
  const variants = variantsOf(product);
  const prices = variants.map((variant) => variant.price.amount);
  const options = new Set(variants.flatMap((variant) => variant.options.map((option) => optionToken(option.name, option.value))));
  return {
    id: product.id,
    category: product.category.toLowerCase(),
    name: product.name,
    // Events carry dates as ISO strings.
    createdAt: new Date(product.createdAt).getTime(),
    version: product.version,
    popularity,
    min: Math.min(...prices),
    prices: [...new Set(prices)].sort((a, b) => a - b),
    options: [...options].sort(),
    currency: product.price.currency,
    image: product.images[0] ?? null,
    variantIds: variantIdsOf(product),
  };
}

// Fixed width so that comparing keys as strings orders the numbers: 15 digits hold any safe
// amount in minor units, count or listing number this catalog will see.
const number = (n: number) => String(Math.max(0, Math.min(n, 999_999_999_999_999))).padStart(15, "0");

/**
 * A product's place in a listing sorted by `field`, as one string compared code unit by code
 * unit: the sort value, then the id, so no two products share a key and a cursor names
 * exactly one position whatever changes around it. Names compare lowercase.
 */
export function listingKey(field: SortField, facts: Pick<ListingFacts, "id" | "name" | "createdAt" | "popularity" | "min">): string {
  const value =
    field === "PRICE" ? number(facts.min) : field === "NEWEST" ? number(facts.createdAt) : field === "POPULARITY" ? number(facts.popularity) : facts.name.toLowerCase().slice(0, 200);
  return `${value}\u0001${facts.id}`;
}

/**
 * The price a product is listed at in PRICE order under a filter: its lowest variant price
 * within [priceMin, priceMax] (its "from" price without one); undefined when none is inside.
 * PRICE listings hold an entry per distinct variant price, so a page can seek to priceMin and
 * still find a product whose cheapest variant is below it; only the entry at this price counts.
 */
export function listedPrice(prices: readonly number[], filter: Pick<ListingFilter, "priceMin" | "priceMax">): number | undefined {
  return prices.find((price) => (filter.priceMin === undefined || price >= filter.priceMin) && (filter.priceMax === undefined || price <= filter.priceMax));
}

/** Every key a product has in PRICE listings: one per distinct variant price. */
export const priceKeys = (facts: Pick<ListingFacts, "id" | "prices">) => facts.prices.map((price) => `${number(price)}\u0001${facts.id}`);

/** The price a PRICE listing key stands for. */
export const priceOfKey = (key: string) => Number(key.slice(0, 15));

/** The lowest key a product of this price can have (PRICE listings seek with it). */
export const priceKeyFloor = (amount: number) => `${number(amount)}\u0001`;
/** Above every key of products of this price. */
export const priceKeyCeiling = (amount: number) => `${number(amount)}\u0002`;

/** Whether a product passes the filter's price, stock and option criteria (categories are the listing's scope). */
export function matchesFilter(filter: ListingFilter, facts: Pick<ListingFacts, "prices" | "options"> & { inStock: boolean }): boolean {
  // A product matches a price window when one of its variants is priced within it.
  const { priceMin, priceMax } = filter;
  if ((priceMin !== undefined || priceMax !== undefined) && !facts.prices.some((price) => (priceMin === undefined || price >= priceMin) && (priceMax === undefined || price <= priceMax))) return false;
  if (filter.inStock !== undefined && facts.inStock !== filter.inStock) return false;
  for (const criterion of filter.options ?? []) {
    if (!criterion.values.some((value) => facts.options.includes(`${criterion.name}=${value}`))) return false;
  }
  return true;
}
