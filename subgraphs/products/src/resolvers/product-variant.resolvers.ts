import { notFound, productIdOfVariant } from "#kernel";
import type { ProductVariantResolvers } from "../generated/resolvers-types.js";
import type { VariantOfProduct } from "../domain/product.js";
import { variantTitle } from "../domain/product-variants.js";
import { isCard, type VariantSource } from "../listing/listing-card.js";
import type { ProductsContext } from "../subgraph-context.js";

/** Through the product DataLoader: a page naming N variants is one batched store read. */
async function variantById(id: string, ctx: ProductsContext): Promise<VariantOfProduct | null> {
  const product = await ctx.productById.load(productIdOfVariant(id));
  const variant = product?.variants.find((v) => v.id === id);
  return product && variant ? { ...variant, product } : null;
}

/**
 * A field read from the whole variant. A card's variant carries its id only; a listing page
 * serves cards only when nothing else is asked of them, so this read is a fallback.
 */
const field =
  <T>(read: (variant: VariantOfProduct) => T) =>
  (source: VariantSource, _args: unknown, ctx: ProductsContext): T | Promise<T> =>
    isCard(source)
      ? variantById(source.id, ctx).then((variant) => {
          if (!variant) throw notFound("ProductVariant", source.id);
          return read(variant);
        })
      : read(source);

export const ProductVariant: ProductVariantResolvers = {
  __resolveReference: (ref, ctx) => variantById(ref.id, ctx),
  sku: field((variant) => variant.sku),
  product: field((variant) => variant.product),
  title: field((variant) => variantTitle(variant.product, variant)),
  options: field((variant) => variant.options),
  price: field((variant) => variant.price),
  images: field((variant) => variant.images),
};
