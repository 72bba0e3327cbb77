import { badInput, notFound, productIdOfVariant, variantIdOf } from "#kernel";
import type { Product, ProductChanges, ProductImage, ProductVariant, VariantOfProduct } from "./product.js";
import { validImages, validSku } from "./product.validation.js";
import { checkVariantSet, validVariant, validVariantPrice, type ProductVariantInput } from "./product-variant.validation.js";
import { lowestPrice } from "./product-variants.js";
import type { ProductEdit } from "../ports/product-store.js";

export interface VariantChangesInput {
  sku?: string | null;
  priceAmount?: number | null;
  images?: ProductImage[] | null;
}

const variantOf = (product: Product, variantId: string): VariantOfProduct => {
  const variant = product.variants.find((v) => v.id === variantId);
  if (!variant) throw notFound("ProductVariant", variantId);
  return { ...variant, product };
};

/** Refuses an add's write from inside the product's edit: the variant asked for is the one held. */
class VariantHeldAlready extends Error {
  constructor(readonly variant: VariantOfProduct) {
    super(`variant ${variant.id} is held already`);
  }
}

/** Whether a held variant is the one an add describes: its option values and every term it was given. */
const sameVariant = (a: ProductVariant, b: ProductVariant): boolean => {
  const terms = (v: ProductVariant) =>
    JSON.stringify([v.sku, v.options.map((o) => [o.name, o.value]), v.price.amount, v.price.currency, (v.images ?? []).map((image) => [image.url, image.alt])]);
  return terms(a) === terms(b);
};

/** Whether the variant is one the product handed out (keys count up from 1) and no longer holds. */
const wasRemoved = (product: Product, variantId: string): boolean => {
  const key = Number(variantId.slice(product.id.length + 1));
  return (
    variantId.startsWith(`${product.id}:`) &&
    variantIdOf(product.id, String(key)) === variantId &&
    Number.isSafeInteger(key) &&
    key >= 1 &&
    key <= product.lastVariantKey &&
    !product.variants.some((v) => v.id === variantId)
  );
};

/** A variant id whose product does not exist names no variant. */
const missingVariant = (variantId: string) => () => notFound("ProductVariant", variantId);

/**
 * Adding, changing and removing a product's variants. Each runs as one edit of the product
 * computed from the product as it is at write time (see ProductEdit), so concurrent edits of
 * one product never lose a variant, and each is announced by the product's change event.
 */
export function createVariantOperations(deps: {
  edit: (productId: string, change: ProductEdit, missing?: () => Error) => Promise<Product>;
  findByIds: (ids: readonly string[]) => Promise<Map<string, Product>>;
}) {
  const { edit } = deps;
  return {
    /**
     * Adds a variant with the next key the product has never handed out. Its option values are
     * its natural key: the same variant asked for again (a double click, a retry after a lost
     * answer, judged under the product's write lock) answers the one the product holds and
     * writes nothing; the same values with another SKU, price or pictures stay refused.
     */
    async addVariant(productId: string, input: ProductVariantInput): Promise<VariantOfProduct> {
      let id = "";
      try {
        const product = await edit(productId, (current): ProductChanges => {
          if (current.options.length === 0) {
            throw badInput("A product without options has only its default variant", { field: "options", productId });
          }
          const key = current.lastVariantKey + 1;
          id = variantIdOf(current.id, String(key));
          const variant = validVariant({ id: current.id, options: current.options, currency: current.price.currency }, input, id);
          const twin = current.variants.find((held) => sameVariant(held, variant));
          if (twin) throw new VariantHeldAlready(variantOf(current, twin.id));
          const variants = [...current.variants, variant];
          checkVariantSet({ sku: current.sku, options: current.options, variants });
          return { variants, lastVariantKey: key, price: lowestPrice(variants) };
        });
        return variantOf(product, id);
      } catch (error) {
        if (error instanceof VariantHeldAlready) return error.variant;
        throw error;
      }
    },

    /** Changes a variant's SKU, price or pictures; a default variant's SKU is its product's. */
    async updateVariant(variantId: string, input: VariantChangesInput): Promise<VariantOfProduct> {
      if (input.sku == null && input.priceAmount == null && input.images == null) throw badInput("Nothing to change: give at least one field");
      const productId = productIdOfVariant(variantId);
      const product = await edit(productId, (current): ProductChanges => {
        const variant = variantOf(current, variantId);
        const changed = {
          id: variant.id,
          sku: input.sku != null ? validSku(input.sku) : variant.sku,
          options: variant.options,
          price: input.priceAmount != null ? validVariantPrice(input.priceAmount, variant.price.currency) : variant.price,
          images: input.images != null ? validImages(input.images) : variant.images,
        };
        const variants = current.variants.map((v) => (v.id === variantId ? changed : v));
        const sku = variant.id === current.id ? changed.sku : current.sku;
        checkVariantSet({ sku, options: current.options, variants });
        return { variants, price: lowestPrice(variants), ...(sku !== current.sku ? { sku } : {}) };
      }, missingVariant(variantId));
      return variantOf(product, variantId);
    },

    /**
     * Removes a variant; its key is never handed out again. The last one stays. A variant the
     * product had and lost already (a removal sent again after a lost answer, a double click)
     * answers the product as it is: the removal asked for is done. A key never handed out is
     * NOT_FOUND.
     */
    async removeVariant(variantId: string): Promise<Product> {
      const productId = productIdOfVariant(variantId);
      try {
        return await edit(productId, (current): ProductChanges => {
          variantOf(current, variantId);
          const variants = current.variants.filter((v) => v.id !== variantId);
          if (variants.length === 0) throw badInput("A product keeps at least one variant: delete the product instead", { field: "id", variantId });
          return { variants, price: lowestPrice(variants) };
        }, missingVariant(variantId));
      } catch (error) {
        const product = (await deps.findByIds([productId])).get(productId);
        if (product && wasRemoved(product, variantId)) return product;
        throw error;
      }
    },
  };
}
