import sharp from "sharp";

/** Decoding stops at this many pixels (a 40-megapixel photo), so a small file that inflates to gigabytes is refused. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export type DecodeOutcome = { ok: true; width: number; height: number } | { ok: false; reason: "TOO_MANY_PIXELS" | "UNDECODABLE" };

/**
 * Decodes the whole image once (not just its header), so a file whose first bytes look like an
 * image but whose body is something else (a polyglot, a truncated file) is refused. The size
 * is as displayed: EXIF orientations that turn the picture swap width and height.
 */
export async function decodeImage(bytes: Buffer): Promise<DecodeOutcome> {
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error" });
    const metadata = await image.metadata();
    await image.stats();
    const turned = (metadata.orientation ?? 1) >= 5;
    const width = turned ? metadata.height : metadata.width;
    const height = turned ? metadata.width : metadata.height;
    if (!width || !height) return { ok: false, reason: "UNDECODABLE" };
    return { ok: true, width, height };
  } catch (error) {
    return { ok: false, reason: /pixel limit/i.test(String(error)) ? "TOO_MANY_PIXELS" : "UNDECODABLE" };
  }
}
