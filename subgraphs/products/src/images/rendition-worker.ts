import sharp from "sharp";
import { readObjectBytes, Topics, withDeadLetter, type DomainEvent, type EventBus, type Logger, type ObjectStore } from "#kernel";
import type { ProductService } from "../domain/product.service.js";
import type { ImageAttachedPayload } from "./image-events.js";
import { MAX_IMAGE_PIXELS } from "./image-decoding.js";
import { withImageSlot } from "./image-work.js";
import { contentHashOf, RENDITION_FORMATS, renditionKey, renditionWidthsFor, type RenditionFormat } from "./image-renditions.js";

export const RENDITIONS_GROUP = "catalog.image-renditions";

const CONTENT_TYPES: Record<RenditionFormat, string> = { webp: "image/webp", avif: "image/avif", jpeg: "image/jpeg" };

/** One rendition: the original turned upright, scaled to `width`, encoded. */
export function encodeRendition(original: Buffer, width: number, format: RenditionFormat): Promise<Buffer> {
  return withImageSlot(() => encoded(original, width, format));
}

function encoded(original: Buffer, width: number, format: RenditionFormat): Promise<Buffer> {
  const image = sharp(original, { limitInputPixels: MAX_IMAGE_PIXELS }).rotate().resize({ width, withoutEnlargement: true }).flatten(format === "jpeg" ? { background: "#ffffff" } : false);
  if (format === "webp") return image.webp({ quality: 80 }).toBuffer();
  if (format === "avif") return image.avif({ quality: 50, effort: 2 }).toBuffer();
  return image.jpeg({ quality: 82, mozjpeg: true }).toBuffer();
}

/**
 * Makes the renditions of each attached image (every width of `renditionWidthsFor` in WebP,
 * AVIF and JPEG) and then records their widths on the product. Idempotent, so at-least-once
 * delivery and several workers are safe: a rendition's key is fixed by the original's content,
 * width and format, one that exists is not made again, two workers racing write the same
 * bytes to the same key, and a product already recording the widths is not written again.
 */
export async function startRenditionWorker(deps: {
  bus: EventBus;
  objects: ObjectStore;
  products: Pick<ProductService, "recordRenditions">;
  logger: Logger;
  /** Told after each event is handled (tests). */
  onHandled?: (payload: ImageAttachedPayload) => void;
  /** Another consumer group (tests make two groups handle one event at once). */
  group?: string;
}): Promise<{ stop(): Promise<void> }> {
  const { objects, logger } = deps;
  async function handle(event: DomainEvent): Promise<void> {
    if (event.type !== "ImageAttached") return;
    const payload = event.payload as ImageAttachedPayload;
    const hash = contentHashOf(payload.url);
    if (!hash) {
      logger.warn("ImageAttached names no uploaded original; skipped", { eventId: event.id, url: payload.url });
      return;
    }
    const widths = renditionWidthsFor(payload.width);
    const missing = [];
    for (const width of widths) {
      for (const format of RENDITION_FORMATS) {
        const key = renditionKey(hash, width, format);
        if (!(await objects.head(key))) missing.push({ key, width, format });
      }
    }
    if (missing.length > 0) {
      const object = await objects.get(payload.url);
      if (!object) {
        logger.warn("the original of an attached image is gone; no renditions", { url: payload.url, productId: payload.productId });
        return;
      }
      const original = await readObjectBytes(object, 200_000_000);
      for (const { key, width, format } of missing) {
        await objects.put(key, await encodeRendition(original, width, format), { contentType: CONTENT_TYPES[format] });
      }
    }
    await deps.products.recordRenditions(payload.productId, payload.url, widths);
    logger.info("image renditions ready", { productId: payload.productId, url: payload.url, made: missing.length, widths });
    deps.onHandled?.(payload);
  }
  const group = deps.group ?? RENDITIONS_GROUP;
  // An original that cannot be encoded (or storage down for long) must not stall the images behind it.
  const guarded = withDeadLetter({ bus: deps.bus, topic: Topics.imageAttached, consumer: group, logger }, handle);
  return deps.bus.subscribe({ topic: Topics.imageAttached, group, start: "earliest", handle: guarded });
}
