import sharp from "sharp";
import { withImageSlot } from "./image-work.js";

/** Decoding stops at this many pixels (a 40-megapixel photo), so a small file that inflates to gigabytes is refused. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export type DecodeOutcome = { ok: true; width: number; height: number } | { ok: false; reason: "TOO_MANY_PIXELS" | "UNDECODABLE" };

/**
 * Decodes the whole image once (not just its header), so a file whose first bytes look like an
 * image but whose body is something else (a polyglot, a truncated file) is refused. Every row
 * is read in order and shrunk to a thumbnail nobody keeps: reading to the end is the check,
 * and holding no more than a few rows keeps it cheap (pixel statistics over the whole image
 * cost 10 to 20 times the CPU and the whole image in memory). The size is as displayed: EXIF
 * orientations that turn the picture swap width and height.
 */
export function decodeImage(bytes: Buffer): Promise<DecodeOutcome> {
  return withImageSlot(async () => {
    try {
      const metadata = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error" }).metadata();
      await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error", sequentialRead: true }).resize(64, 64, { fit: "inside", kernel: "nearest" }).raw().toBuffer();
      const turned = (metadata.orientation ?? 1) >= 5;
      const width = turned ? metadata.height : metadata.width;
      const height = turned ? metadata.width : metadata.height;
      if (!width || !height) return { ok: false, reason: "UNDECODABLE" };
      return { ok: true, width, height };
    } catch (error) {
      return { ok: false, reason: /pixel limit/i.test(String(error)) ? "TOO_MANY_PIXELS" : "UNDECODABLE" };
    }
  });
}
