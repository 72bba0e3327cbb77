import type { Product, ProductImage } from "./product.js";
import type { ProductEdit } from "../ports/product-store.js";

const MAX_IMAGES = 20;

/**
 * An image list given anew (updateProduct) keeps what the catalog measured and made for the
 * images it already had: the size of an uploaded original and the widths of its renditions.
 */
export function keepImageFacts(given: ProductImage[], current: ProductImage[]): ProductImage[] {
  const known = new Map(current.map((image) => [image.url, image]));
  return given.map((image) => {
    const before = known.get(image.url);
    if (!before) return image;
    const { width, height, renditionWidths } = before;
    return { ...image, ...(width ? { width } : {}), ...(height ? { height } : {}), ...(renditionWidths ? { renditionWidths } : {}) };
  });
}

/**
 * Writes of uploaded images to a product. Each is one edit computed from the product as it is
 * at write time, so a double submit or a redelivered event changes nothing the second time.
 */
export function createProductImageOperations(deps: {
  edit: (productId: string, change: ProductEdit) => Promise<Product>;
  findByIds: (ids: readonly string[]) => Promise<Map<string, Product>>;
}) {
  const { edit } = deps;
  return {
    /** Adds the image, or updates the alt text of the same image (same content) already there. */
    attachImage(productId: string, image: ProductImage, refuse: (reason: string) => Error): Promise<Product> {
      return edit(productId, (current) => {
        const existing = current.images.find((candidate) => candidate.url === image.url);
        if (existing) return { images: current.images.map((candidate) => (candidate === existing ? { ...existing, alt: image.alt } : candidate)) };
        if (current.images.length >= MAX_IMAGES) throw refuse(`A product has at most ${MAX_IMAGES} images`);
        return { images: [...current.images, image] };
      });
    },

    /**
     * Records the widths made for an image (every format), wherever the product shows it.
     * A product that no longer exists or no longer shows the image is left alone; one that
     * already records these widths is not written again.
     */
    async recordRenditions(productId: string, url: string, widths: number[]): Promise<void> {
      const same = (image: ProductImage) => image.url === url && image.renditionWidths?.join() === widths.join();
      const shows = (images: ProductImage[]) => images.some((image) => image.url === url && !same(image));
      const product = (await deps.findByIds([productId])).get(productId);
      if (!product || !(shows(product.images) || product.variants.some((variant) => shows(variant.images)))) return;
      const withWidths = (images: ProductImage[]) => images.map((image) => (image.url === url ? { ...image, renditionWidths: widths } : image));
      await edit(productId, (current) => ({
        images: withWidths(current.images),
        variants: current.variants.map((variant) => ({ ...variant, images: withWidths(variant.images) })),
      })).catch((error: unknown) => {
        // Deleted meanwhile: nothing left to record on.
        if ((error as { extensions?: { code?: string } }).extensions?.code !== "NOT_FOUND") throw error;
      });
    },
  };
}
