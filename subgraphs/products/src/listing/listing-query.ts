/** How a listing is ordered. Ties are broken by product id, so every order is total. */
export const SORT_FIELDS = ["PRICE", "NEWEST", "NAME", "POPULARITY"] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortDirection = "ASC" | "DESC";

export interface ListingSort {
  field: SortField;
  direction: SortDirection;
}

/** Option values a listed product must offer: any of `values` (lowercase) for the option `name` (lowercase). */
export interface OptionCriterion {
  name: string;
  values: string[];
}

/**
 * What a listing keeps, already validated and normalised by the listing service: categories
 * as the lowercase slugs of a category and its descendants, prices in minor units, option
 * names and values lowercase.
 */
export interface ListingFilter {
  categories?: string[];
  priceMin?: number;
  priceMax?: number;
  inStock?: boolean;
  options?: OptionCriterion[];
}

export interface ListingQuery {
  first: number;
  /** The sort key of the last product already seen (see listingKey); the page starts after it. */
  after?: string;
  sort: ListingSort;
  filter: ListingFilter;
}

/** A listed product's sort key: what the next page starts after. */
export interface ListedKey {
  key: string;
}
