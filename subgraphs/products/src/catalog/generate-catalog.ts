import type { Product } from "../domain/product.js";
import { CATEGORIES } from "./catalog-vocabulary.js";
import { seededRandom } from "./seeded-random.js";
import { defaultVariant } from "../domain/product-variants.js";

export interface GeneratedProduct {
  product: Product;
  /** Units in the warehouse, for the inventory seed. */
  stock: number;
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
    const product: Product = {
      id,
      sku,
      name,
      description: `${name}. ${random.pick(category.pitch)} ${random.pick(category.pitch)} ${describeAttributes(attributes)}`,
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
    product.variants = [defaultVariant(product)];
    // Most products are well stocked; a few are scarce or sold out, as in a real store.
    const roll = random.next();
    const stock = roll < 0.05 ? 0 : roll < 0.15 ? random.int(1, 5) : random.int(20, 500);
    yield { product, stock };
  }
}

function describeAttributes(attributes: Record<string, string>): string {
  return Object.entries(attributes)
    .map(([key, value]) => `${key.replace(/([A-Z])/g, " $1").toLowerCase()}: ${value}`)
    .join("; ") + ".";
}
