import sharp, { type Metadata } from "sharp";
import { MAX_IMAGE_PIXELS } from "./image-decoding.js";
import type { UploadFormat } from "./image-formats.js";
import { withImageSlot } from "./image-work.js";

/** Metadata a camera or an editor writes that may say where and by whom a photo was taken. */
const hasPrivateMetadata = (metadata: Metadata) =>
  Boolean(metadata.exif?.length || metadata.xmp?.length || metadata.iptc?.length || metadata.tifftagPhotoshop?.length || metadata.comments?.length);

/**
 * The original as it will be served, without EXIF, XMP, IPTC or text comments: a phone photo
 * carries the GPS position of where it was taken (often the admin's home), its device and
 * owner, and the original is public (`Image.url` with no width, and before renditions exist).
 * An image with none of them is kept byte for byte; one with some is encoded again in its own
 * format, turned upright first (its EXIF orientation goes with the EXIF), every frame kept,
 * its colour profile kept.
 */
export function withoutPrivateMetadata(bytes: Buffer, format: UploadFormat): Promise<Buffer> {
  return withImageSlot(() => encodedWithoutMetadata(bytes, format));
}

async function encodedWithoutMetadata(bytes: Buffer, format: UploadFormat): Promise<Buffer> {
  const metadata = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
  if (!hasPrivateMetadata(metadata)) return bytes;
  const animated = (metadata.pages ?? 1) > 1;
  let image = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, animated, failOn: "error" }).keepIccProfile();
  if (!animated) image = image.autoOrient();
  if (format === "jpeg") return image.jpeg({ quality: 92 }).toBuffer();
  if (format === "png") return image.png().toBuffer();
  if (format === "webp") return image.webp({ quality: 92 }).toBuffer();
  if (format === "avif") return image.avif({ quality: 70 }).toBuffer();
  return image.gif().toBuffer();
}
