/**
 * The units a quantity box holds: a whole number from `min`, else undefined. A number input
 * hands over what was typed ("2.5", "-1", "1e3", an emptied box's ""): sent as it was, the
 * store refused a fraction in graphql-js's words and the cart page showed them to the shopper.
 */
export function typedQuantity(text: string, min: number): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) && value >= min ? value : undefined;
}
