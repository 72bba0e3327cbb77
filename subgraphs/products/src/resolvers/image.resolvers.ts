import { badInput, requireAdmin } from "#kernel";
import type { ImageFormat, ImageResolvers, MutationResolvers } from "../generated/resolvers-types.js";
import { chooseImagePath, srcsetEntries, type RenditionFormat } from "../images/image-renditions.js";

const FORMAT: Record<ImageFormat, RenditionFormat> = { JPEG: "jpeg", WEBP: "webp", AVIF: "avif" };

export const Image: ImageResolvers = {
  url: (image, { width, format }, ctx) => {
    if (width != null && (width < 1 || width > 10_000)) throw badInput("width is 1 to 10000 pixels", { field: "width" });
    return ctx.imageUrl(chooseImagePath(image, width, format ? FORMAT[format] : null));
  },
  width: (image) => image.width ?? null,
  height: (image) => image.height ?? null,
  srcset: (image, { format }, ctx) =>
    srcsetEntries(image, FORMAT[format ?? "JPEG"])
      .map(({ path, width }) => (width ? `${ctx.imageUrl(path)} ${width}w` : ctx.imageUrl(path)))
      .join(", "),
};

export const ImageMutation: Pick<MutationResolvers, "createImageUpload" | "attachProductImage"> = {
  createImageUpload: (_root, { productId, contentType, bytes }, ctx) => {
    requireAdmin(ctx);
    return ctx.uploads.createImageUpload(productId, contentType, bytes);
  },
  attachProductImage: (_root, { productId, uploadId, alt }, ctx) => {
    requireAdmin(ctx);
    return ctx.uploads.attachProductImage(productId, uploadId, alt);
  },
};
