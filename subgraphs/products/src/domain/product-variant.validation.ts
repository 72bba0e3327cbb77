import { badInput, singleLineText, unitPrice, type Money } from "#kernel";
import type { ProductImage, ProductOption, ProductVariant, SelectedOption } from "./product.js";
import { validImages, validSku } from "./product.validation.js";

/**
 * Bounds that keep a product page, its change event and its document small whatever an admin
 * sends: 3 options of 50 values allow far more combinations than a product sells, so variants
 * are capped on their own.
 */
export const VARIANT_LIMITS = { options: 3, valuesPerOption: 50, variants: 100, optionName: 40, optionValue: 60 } as const;

export interface ProductOptionInput {
  name: string;
  values: string[];
}

export interface SelectedOptionInput {
  name: string;
  value: string;
}

export interface ProductVariantInput {
  sku: string;
  options: SelectedOptionInput[];
  priceAmount: number;
  images?: ProductImage[] | null;
}

/** One line of visible text with its runs of spaces made one, so "Dark  blue" and "Dark blue" are one value. */
const label = (field: string, value: string, max: number): string => singleLineText(field, value, { max }).replace(/\s+/g, " ");

const sameText = (a: string, b: string) => a.localeCompare(b, "en", { sensitivity: "accent" }) === 0;

/** Checks the options a product offers: at most 3, each named once with 1-50 distinct values. */
export function validOptions(list: readonly ProductOptionInput[]): ProductOption[] {
  if (list.length > VARIANT_LIMITS.options) throw badInput(`A product has at most ${VARIANT_LIMITS.options} options`, { field: "options" });
  const options: ProductOption[] = [];
  for (const input of list) {
    const name = label("option name", input.name, VARIANT_LIMITS.optionName);
    if (options.some((option) => sameText(option.name, name))) throw badInput(`Option ${name} is given twice`, { field: "options", option: name });
    if (input.values.length === 0 || input.values.length > VARIANT_LIMITS.valuesPerOption) {
      throw badInput(`Option ${name} has 1-${VARIANT_LIMITS.valuesPerOption} values`, { field: "options", option: name });
    }
    const values: string[] = [];
    for (const raw of input.values) {
      const value = label("option value", raw, VARIANT_LIMITS.optionValue);
      if (values.some((known) => sameText(known, value))) throw badInput(`Option ${name} lists ${value} twice`, { field: "options", option: name });
      values.push(value);
    }
    options.push({ name, values });
  }
  return options;
}

/**
 * Checks a variant's choice of values: exactly one for each of the product's options, each
 * from that option's list. Returned in the product's option order, spelled as the option
 * spells them, so equal choices compare equal.
 */
export function validSelection(options: readonly ProductOption[], selected: readonly SelectedOptionInput[]): SelectedOption[] {
  if (selected.length !== options.length) {
    throw badInput(`A variant names one value for each option (${options.map((o) => o.name).join(", ") || "none"})`, { field: "options" });
  }
  return options.map((option) => {
    const chosen = selected.filter((s) => s.name.length <= VARIANT_LIMITS.optionName * 4 && sameText(s.name.trim(), option.name));
    if (chosen.length !== 1) throw badInput(`A variant names exactly one value for option ${option.name}`, { field: "options", option: option.name });
    const raw = chosen[0]!.value;
    const value = raw.length <= VARIANT_LIMITS.optionValue * 4 ? option.values.find((v) => sameText(v, raw.trim())) : undefined;
    if (value === undefined) throw badInput(`${option.name} has no value ${raw.slice(0, 60)}`, { field: "options", option: option.name });
    return { name: option.name, value };
  });
}

/** A variant's price: more than nothing, in the product's one currency. */
export function validVariantPrice(amount: number, currency: string): Money {
  const price = unitPrice(amount, currency);
  if (price.amount <= 0) throw badInput("A price is more than 0", { field: "priceAmount" });
  return price;
}

/** A variant built from admin input, with the key it is given. */
export function validVariant(
  product: { id: string; options: readonly ProductOption[]; currency: string },
  input: ProductVariantInput,
  id: string,
): ProductVariant {
  return {
    id,
    sku: validSku(input.sku),
    options: validSelection(product.options, input.options),
    price: validVariantPrice(input.priceAmount, product.currency),
    images: validImages(input.images ?? []),
  };
}

const combination = (variant: Pick<ProductVariant, "options">) => JSON.stringify(variant.options.map((o) => o.value.toLowerCase()));

/**
 * The rules a product's whole variant list keeps after every change: 1-100 variants, no two
 * with the same combination of values or the same SKU, one currency, and the product's own
 * SKU left to its default variant.
 */
export function checkVariantSet(product: { sku: string; options: readonly ProductOption[]; variants: readonly ProductVariant[] }): void {
  const { variants } = product;
  if (variants.length === 0) throw badInput("A product keeps at least one variant", { field: "variants" });
  if (variants.length > VARIANT_LIMITS.variants) throw badInput(`A product has at most ${VARIANT_LIMITS.variants} variants`, { field: "variants" });
  if (product.options.length === 0 && variants.length > 1) throw badInput("A product without options has a single variant", { field: "variants" });
  const combinations = new Set<string>();
  const skus = new Set<string>();
  for (const variant of variants) {
    const key = combination(variant);
    if (combinations.has(key)) throw badInput(`Two variants have the same options (${variant.options.map((o) => o.value).join(" / ")})`, { field: "variants" });
    combinations.add(key);
    if (skus.has(variant.sku)) throw badInput(`Two variants share SKU ${variant.sku}`, { field: "sku", sku: variant.sku });
    if (product.options.length > 0 && variant.sku === product.sku) {
      throw badInput(`SKU ${variant.sku} is the product's own; a variant has its own SKU`, { field: "sku", sku: variant.sku });
    }
    skus.add(variant.sku);
    if (variant.price.currency !== variants[0]!.price.currency) throw badInput("All variants of a product share one currency", { field: "priceAmount" });
  }
}

/** Every SKU a product holds: its own and its variants'. Unique across the whole catalog. */
export function skusOf(product: { sku: string; variants: readonly Pick<ProductVariant, "sku">[] }): string[] {
  return [...new Set([product.sku, ...product.variants.map((variant) => variant.sku)])];
}
