/** What the product page knows of a variant to let a shopper choose it. */
export interface ChoosableVariant {
  id: string;
  options: { name: string; value: string }[];
  inStock: boolean;
}

/**
 * The option values a product page starts with: those of the first variant in stock (or the
 * first variant), so a shopper who changes nothing adds something they can buy.
 */
export function initialChoice(variants: readonly ChoosableVariant[]): Record<string, string> {
  const start = variants.find((variant) => variant.inStock) ?? variants[0];
  return Object.fromEntries((start?.options ?? []).map((option) => [option.name, option.value]));
}

/** The variant with exactly the chosen value for every option; undefined when that combination is not sold. */
export function chosenVariant<V extends ChoosableVariant>(variants: readonly V[], choice: Readonly<Record<string, string>>): V | undefined {
  return variants.find((variant) => variant.options.every((option) => choice[option.name] === option.value));
}
