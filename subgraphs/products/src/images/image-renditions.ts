import type { ProductImage } from "../domain/product.js";

/** Encodings of renditions: modern ones and a JPEG every browser shows. */
export type RenditionFormat = "webp" | "avif" | "jpeg";
export const RENDITION_FORMATS: readonly RenditionFormat[] = ["webp", "avif", "jpeg"];

/** The widths a layout picks from; an original narrower than one gets its own width instead. */
export const RENDITION_WIDTHS = [320, 640, 1280] as const;

const EXTENSION: Record<RenditionFormat, string> = { webp: "webp", avif: "avif", jpeg: "jpg" };

/** Uploaded originals are `originals/<sha256>.<ext>`: the content hash names them. */
const ORIGINAL = /^originals\/([0-9a-f]{64})\.[a-z]+$/;

export function contentHashOf(originalKey: string): string | undefined {
  return ORIGINAL.exec(originalKey)?.[1];
}

export function originalKey(contentHash: string, extension: string): string {
  return `originals/${contentHash}.${extension}`;
}

/** A rendition's key depends only on the original's content, its width and format, so making it twice makes one object. */
export function renditionKey(contentHash: string, width: number, format: RenditionFormat): string {
  return `renditions/${contentHash}-w${width}.${EXTENSION[format]}`;
}

/** The widths to make for an original `width` pixels wide: never wider than the original. */
export function renditionWidthsFor(width: number): number[] {
  return [...new Set(RENDITION_WIDTHS.map((target) => Math.min(target, width)))].sort((a, b) => a - b);
}

/**
 * The blob path to serve for an image: the narrowest rendition at least `width` wide (the
 * widest when none is), in `format` (JPEG by default); the original until renditions exist,
 * or when the original is narrower than every rendition asked for.
 */
export function chooseImagePath(image: ProductImage, width?: number | null, format?: RenditionFormat | null): string {
  const hash = contentHashOf(image.url);
  const widths = image.renditionWidths ?? [];
  if (!hash || widths.length === 0 || (width == null && format == null)) return image.url;
  const wanted = width ?? image.width ?? widths.at(-1)!;
  const chosen = widths.find((w) => w >= wanted) ?? widths.at(-1)!;
  return renditionKey(hash, chosen, format ?? "jpeg");
}

/** `srcset` entries (`path 320w`) of an image in one format; the original alone before renditions. */
export function srcsetEntries(image: ProductImage, format: RenditionFormat): { path: string; width?: number }[] {
  const hash = contentHashOf(image.url);
  const widths = image.renditionWidths ?? [];
  if (!hash || widths.length === 0) return [{ path: image.url, width: image.width }];
  return widths.map((width) => ({ path: renditionKey(hash, width, format), width }));
}
