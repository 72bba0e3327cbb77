import type { FacetCount, OptionFacet, SearchDocument, SearchFilter } from "../ports/search-index.js";
import { inPriceRange } from "./price-ranges.js";
import { fold } from "./suggestion-match.js";

/** Joins an option's name and value in one keyword; a control character no name or value holds. */
const SEPARATOR = "\u001f";

/** What option filters compare: name and value folded, so "colour: RED" finds "Colour: Red". */
export const optionKey = (name: string, value: string): string => `${fold(name.trim())}${SEPARATOR}${fold(value.trim())}`;

/** What option facets count: name and value as the catalog writes them. */
export const facetKey = (name: string, value: string): string => `${name.trim()}${SEPARATOR}${value.trim()}`;

interface VariantSource {
  price: { amount: number };
  variants?: { options: { name: string; value: string }[]; price: { amount: number } }[];
}

/**
 * The variant fields of a search document. A product read before variants existed (an old
 * event) is its own single variant at its price.
 */
export function variantFields(product: VariantSource): Pick<SearchDocument, "priceAmount" | "priceMax" | "variants" | "optionFacets"> {
  const variants = product.variants?.length ? product.variants : [{ options: [], price: product.price }];
  const prices = variants.map((v) => v.price.amount);
  const seen = new Set<string>();
  const optionFacets: string[] = [];
  for (const variant of variants) {
    for (const option of variant.options) {
      const key = optionKey(option.name, option.value);
      if (seen.has(key)) continue;
      seen.add(key);
      optionFacets.push(facetKey(option.name, option.value));
    }
  }
  return {
    priceAmount: Math.min(...prices),
    priceMax: Math.max(...prices),
    variants: variants.map((v) => ({ options: v.options.map((o) => optionKey(o.name, o.value)), price: v.price.amount })),
    optionFacets,
  };
}

/** The variant a filter asks for: every option name matched by one of its values, priced in range. */
export function variantPredicate(filter: SearchFilter): ((variant: SearchDocument["variants"][number]) => boolean) | undefined {
  const wanted = (filter.options ?? []).map((option) => new Set(option.values.map((value) => optionKey(option.name, value))));
  const { price } = filter;
  if (wanted.length === 0 && !price) return undefined;
  return (variant) => wanted.every((keys) => variant.options.some((key) => keys.has(key))) && (!price || inPriceRange(variant.price, price));
}

/**
 * Option facets from counts per `facetKey`: one facet per option name, case variants of a
 * name or value counted together under their most frequent spelling (the first bucket, as
 * buckets come most frequent first). A product counts once per value, so the sums are exact.
 */
export function groupOptionFacets(buckets: readonly FacetCount[]): OptionFacet[] {
  const byName = new Map<string, { name: string; values: Map<string, FacetCount> }>();
  for (const { value: key, count } of buckets) {
    const [name = "", value = ""] = key.split(SEPARATOR);
    let facet = byName.get(fold(name));
    if (!facet) byName.set(fold(name), (facet = { name, values: new Map() }));
    const held = facet.values.get(fold(value));
    if (held) held.count += count;
    else facet.values.set(fold(value), { value, count });
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, facet]) => ({ name: facet.name, values: [...facet.values.values()].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)) }));
}
