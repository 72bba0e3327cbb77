import { regionKey } from "#kernel";
import type { Destination, TaxRate } from "./pricing-types.js";

/**
 * The rate that applies to a line of `category` shipped to `destination`; the most specific
 * one wins, in this order: the region's rate for the category, the region's rate for any
 * category, the country's rate for the category, the country's rate for any category. A place
 * is more specific than a category: a region that taxes everything differently overrides a
 * country-wide category rate. No rate at all is 0.
 */
export function taxRateFor(rates: readonly TaxRate[], destination: Destination, category: string | null): number {
  const region = normaliseRegion(destination.region);
  const cat = normaliseCategory(category);
  const ofCountry = rates.filter((rate) => rate.countryCode === destination.country);
  const find = (r: string | null, c: string | null) =>
    ofCountry.find((rate) => normaliseRegion(rate.region) === r && normaliseCategory(rate.category) === c);
  const match =
    (region !== null && cat !== null ? find(region, cat) : undefined) ??
    (region !== null ? find(region, null) : undefined) ??
    (cat !== null ? find(null, cat) : undefined) ??
    find(null, null);
  return match?.rateBasisPoints ?? 0;
}

/**
 * Regions compare as regionKey spells them (NFKC, one space, upper case: "ca" and "ｃａ" are
 * "CA"); empty means none. Where tax is set per region (US, CA) rates and destinations hold
 * subdivision codes already (regionOf), so no other spelling reaches this.
 */
export const normaliseRegion = (region: string | null | undefined): string | null => {
  const key = region === null || region === undefined ? "" : regionKey(region);
  return key === "" ? null : key;
};

/** Categories are the catalog's lowercase slugs; empty means none. */
export const normaliseCategory = (category: string | null | undefined): string | null => {
  const trimmed = category?.trim().toLowerCase() ?? "";
  return trimmed === "" ? null : trimmed;
};
