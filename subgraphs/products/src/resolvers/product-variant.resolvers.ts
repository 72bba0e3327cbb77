import { productIdOfVariant } from "#kernel";
import type { ProductVariantResolvers } from "../generated/resolvers-types.js";
import { variantTitle } from "../domain/product-variants.js";

export const ProductVariant: ProductVariantResolvers = {
  // Through the product DataLoader: a page naming N variants is one batched store read.
  __resolveReference: async (ref, ctx) => {
    const product = await ctx.productById.load(productIdOfVariant(ref.id));
    const variant = product?.variants.find((v) => v.id === ref.id);
    return product && variant ? { ...variant, product } : null;
  },
  title: (variant) => variantTitle(variant.product, variant),
  images: (variant) => variant.images,
};
