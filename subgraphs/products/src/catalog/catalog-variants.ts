import { variantIdOf } from "#kernel";
import type { ProductImage, ProductOption, ProductVariant } from "../domain/product.js";
import type { Random } from "./seeded-random.js";

const SIZES = ["XS", "S", "M", "L", "XL", "XXL"];
const COLOURS = ["Black", "White", "Navy", "Red", "Forest Green", "Charcoal", "Sand", "Sky Blue", "Burgundy"];
const STORAGE: Record<string, string[]> = { Tablet: ["64 GB", "128 GB", "256 GB"], "E-Reader": ["16 GB", "32 GB"], Smartwatch: ["32 GB", "64 GB"] };

/** What a generated product offers when it varies: its options, variants and each variant's stock. */
export interface GeneratedVariety {
  options: ProductOption[];
  variants: ProductVariant[];
  stock: number[];
  /** Attributes an option now carries (a garment's size and colour), no longer stated once. */
  dropAttributes: string[];
}

/**
 * Which demo products come in several versions, and which: every other garment from the
 * hundred-and-first product on in sizes and colours, and tablets, e-readers and smartwatches
 * from there in storage sizes. The first hundred products, which tests and the golden
 * operations name, stay single-variant products exactly as before; so do every product's
 * id, SKU, name and "from" price (the lowest variant price is the product's price).
 */
export function generatedVariety(
  product: { id: string; sku: string; name: string; category: string; price: { amount: number; currency: string } },
  noun: string,
  index: number,
  random: Random,
): GeneratedVariety | undefined {
  if (index < 100) return undefined;
  if (product.category === "clothing" && Math.floor(index / 10) % 2 === 1) return apparel(product, random);
  if (product.category === "electronics" && STORAGE[noun]) return storage(product, STORAGE[noun]!, random);
  return undefined;
}

function apparel(product: Parameters<typeof generatedVariety>[0], random: Random): GeneratedVariety {
  const first = random.int(0, 2);
  const sizes = SIZES.slice(first, first + random.int(3, 4));
  const colours: string[] = [];
  for (let n = random.int(2, 3); colours.length < n; ) {
    const colour = random.pick(COLOURS);
    if (!colours.includes(colour)) colours.push(colour);
  }
  const options = [
    { name: "Size", values: sizes },
    { name: "Colour", values: colours },
  ];
  const combinations = sizes.flatMap((size) => colours.map((colour) => ({ size, colour })));
  const variants = combinations.map(({ size, colour }, n): ProductVariant => ({
    id: variantIdOf(product.id, String(n + 1)),
    sku: `${product.sku}-${size}-${code(colour)}`,
    options: [
      { name: "Size", value: size },
      { name: "Colour", value: colour },
    ],
    // Larger sizes take more cloth.
    price: { amount: product.price.amount + (size.startsWith("X") && size !== "XS" ? 500 : 0), currency: product.price.currency },
    images: [colourImage(product, colour)],
  }));
  return { options, variants, stock: variants.map(() => variantStock(random)), dropAttributes: ["size", "colour"] };
}

function storage(product: Parameters<typeof generatedVariety>[0], sizes: string[], random: Random): GeneratedVariety {
  const step = Math.max(100, Math.round(product.price.amount / 500) * 100);
  const variants = sizes.map((size, n): ProductVariant => ({
    id: variantIdOf(product.id, String(n + 1)),
    sku: `${product.sku}-${size.replace(" ", "")}`,
    options: [{ name: "Storage", value: size }],
    price: { amount: product.price.amount + n * step, currency: product.price.currency },
    images: [],
  }));
  return { options: [{ name: "Storage", values: sizes }], variants, stock: variants.map(() => variantStock(random)), dropAttributes: [] };
}

const code = (colour: string) => colour.replace(/[^A-Za-z]/g, "").slice(0, 3).toUpperCase();

function colourImage(product: { sku: string; name: string }, colour: string): ProductImage {
  return { url: `products/${product.sku.toLowerCase()}/${colour.toLowerCase().replace(/ /g, "-")}.jpg`, alt: `${product.name} in ${colour}` };
}

/** As for whole products: most well stocked, a few scarce or sold out. */
function variantStock(random: Random): number {
  const roll = random.next();
  return roll < 0.1 ? 0 : roll < 0.2 ? random.int(1, 3) : random.int(5, 60);
}
