import type { Product } from "./product.js";

/** Units sold per product, which catalog documents do not hold (see the popularity feed). */
export type PopularityOf = (ids: readonly string[]) => Promise<Map<string, number>>;

/**
 * The products, in order, each with its units sold as known now (0 when none), so whatever
 * announces or hands out a product for search ranks it by sales. Unchanged without a source.
 */
export async function withPopularity(products: readonly Product[], popularityOf?: PopularityOf): Promise<Product[]> {
  if (!popularityOf || products.length === 0) return [...products];
  const sold = await popularityOf([...new Set(products.map((product) => product.id))]);
  return products.map((product) => ({ ...product, popularity: sold.get(product.id) ?? 0 }));
}
