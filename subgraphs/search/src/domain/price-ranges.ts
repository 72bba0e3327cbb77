/**
 * The price facet's buckets in minor units (max exclusive, open ends as null): fixed rather
 * than computed, so a shopper sees the same ranges whatever they search for, on every engine.
 */
export const PRICE_RANGES: readonly { min: number | null; max: number | null }[] = [
  { min: null, max: 1_000 },
  { min: 1_000, max: 2_500 },
  { min: 2_500, max: 5_000 },
  { min: 5_000, max: 10_000 },
  { min: 10_000, max: 25_000 },
  { min: 25_000, max: null },
];

export const inPriceRange = (amount: number, range: { min?: number | null; max?: number | null }): boolean =>
  (range.min == null || amount >= range.min) && (range.max == null || amount < range.max);
