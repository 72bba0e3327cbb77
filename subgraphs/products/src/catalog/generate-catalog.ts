import type { Product } from "../domain/product.js";
import { CATEGORIES } from "./catalog-vocabulary.js";
import { seededRandom } from "./seeded-random.js";
import { defaultVariant, lowestPrice } from "../domain/product-variants.js";
import { generatedVariety } from "./catalog-variants.js";

export interface GeneratedProduct {
  product: Product;
  /** Units in the warehouse, all variants together. */
  stock: number;
  /** Units in the warehouse per variant, for the inventory seed (stock is kept per variant). */
  variantStock: { variantId: string; stock: number }[];
}

/**
 * A realistic, deterministic demo catalog: ids, SKUs and prices depend only on the seed and
 * the position, so a restart regenerates the same products and carts keep pointing at them.
 */
export function* generateCatalog(options: { count: number; seed?: number; startAt?: number }): Generator<GeneratedProduct> {
  const random = seededRandom(options.seed ?? 42);
  const epoch = Date.UTC(2026, 0, 1);
  for (let i = options.startAt ?? 0; i < (options.startAt ?? 0) + options.count; i++) {
    const category = CATEGORIES[i % CATEGORIES.length]!;
    const noun = random.pick(category.nouns);
    const adjective = random.pick(category.adjectives);
    const brand = random.pick(category.brands);
    const serial = String(i + 1).padStart(7, "0");
    const id = `prod_${serial}`;
    const sku = `${category.slug.slice(0, 3).toUpperCase()}-${serial}`;
    const [low, high] = category.price;
    const amount = Math.round(random.int(low, high) / 100) * 100 - 1;
    const name = `${brand} ${adjective} ${noun}`;
    const attributes = category.attributes(random);
    const createdAt = new Date(epoch + i * 60_000);
    const imageCount = random.int(1, 4);
    const pitch = `${random.pick(category.pitch)} ${random.pick(category.pitch)}`;
    const product: Product = {
      id,
      sku,
      name,
      description: `${name}. ${pitch} ${describeAttributes(attributes)}`,
      price: { amount: Math.max(amount, 99), currency: "USD" },
      // Blob paths: the products subgraph serves them through the configured image CDN.
      images: Array.from({ length: imageCount }, (_, n) => ({ url: `products/${sku.toLowerCase()}/${n + 1}.jpg`, alt: `${name}, view ${n + 1}` })),
      category: category.slug,
      brand,
      attributes,
      options: [],
      variants: [],
      lastVariantKey: 0,
      createdAt,
      updatedAt: createdAt,
      version: 1,
    };
    // Most products are well stocked; a few are scarce or sold out, as in a real store.
    const roll = random.next();
    const stock = roll < 0.05 ? 0 : roll < 0.15 ? random.int(1, 5) : random.int(20, 500);
    // A stream of its own, so products that vary leave every other product as it always was.
    const variety = generatedVariety(product, noun, i, seededRandom((options.seed ?? 42) * 1_000_003 + i));
    if (!variety) {
      product.variants = [defaultVariant(product)];
      yield { product, stock, variantStock: [{ variantId: id, stock }] };
      continue;
    }
    for (const attribute of variety.dropAttributes) delete product.attributes[attribute];
    product.description = `${name}. ${pitch} ${describeAttributes(product.attributes)}`;
    Object.assign(product, { options: variety.options, variants: variety.variants, lastVariantKey: variety.variants.length, price: lowestPrice(variety.variants) });
    const variantStock = variety.variants.map((variant, n) => ({ variantId: variant.id, stock: variety.stock[n]! }));
    yield { product, stock: variantStock.reduce((sum, v) => sum + v.stock, 0), variantStock };
  }
}

function describeAttributes(attributes: Record<string, string>): string {
  return Object.entries(attributes)
    .map(([key, value]) => `${key.replace(/([A-Z])/g, " $1").toLowerCase()}: ${value}`)
    .join("; ") + ".";
}
