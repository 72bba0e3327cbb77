import { notFound } from "#kernel";
import type { Product as CatalogProduct } from "../domain/product.js";
import { priceRange } from "../domain/product-variants.js";
import { isCard, type ProductSource } from "../listing/listing-card.js";
import type { ProductResolvers } from "../generated/resolvers-types.js";
import type { ProductsContext } from "../subgraph-context.js";

/**
 * The product behind a listing card. A listing page answers from cards only when the query
 * asks for nothing else (see product-listing.service.ts), so this read is the fallback that
 * keeps any other field right, never the path of a card page.
 */
async function whole(id: string, ctx: ProductsContext): Promise<CatalogProduct> {
  const product = await ctx.productById.load(id);
  if (!product) throw notFound("Product", id);
  return product;
}

/** A field read from the whole product (synchronously when it is at hand, as it is off listings). */
const field =
  <T>(read: (product: CatalogProduct) => T) =>
  (source: ProductSource, _args: unknown, ctx: ProductsContext): T | Promise<T> =>
    isCard(source) ? whole(source.id, ctx).then(read) : read(source);

export const Product: ProductResolvers = {
  __resolveReference: (ref, ctx) => ctx.productById.load(ref.id),
  // What a card holds.
  name: (source) => source.name,
  price: (source) => source.price,
  featuredImage: (source) => (isCard(source) ? source.image : (source.images[0] ?? null)),
  priceRange: (source) =>
    isCard(source)
      ? { min: source.price, max: { amount: source.prices.at(-1)!, currency: source.price.currency } }
      : priceRange(source),
  // The rest, from the product.
  sku: field((product) => product.sku),
  description: field((product) => product.description),
  images: field((product) => product.images),
  category: field((product) => product.category),
  brand: field((product) => product.brand),
  attributes: field((product) => Object.entries(product.attributes).map(([name, value]) => ({ name, value }))),
  options: field((product) => product.options),
  // A card knows its variants' ids: what inventory's stock fields require of a listed product.
  variants: (source) =>
    isCard(source) ? source.variantIds.map((id) => ({ card: true as const, id })) : source.variants.map((variant) => ({ ...variant, product: source })),
  createdAt: field((product) => product.createdAt.toISOString()),
  updatedAt: field((product) => product.updatedAt.toISOString()),
  popularity: field((product) => product.popularity ?? 0),
  version: field((product) => product.version),
};
