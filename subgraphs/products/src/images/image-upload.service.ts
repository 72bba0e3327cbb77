import { createHash, randomUUID } from "node:crypto";
import {
  badInput,
  newEvent,
  notFound,
  readObjectBytes,
  Topics,
  type EventBus,
  type KeyValueStore,
  type Logger,
  type ObjectStore,
} from "#kernel";
import type { Product } from "../domain/product.js";
import type { ProductService } from "../domain/product.service.js";
import { validAlt } from "../domain/product.validation.js";
import { FILE_EXTENSIONS, formatOfContentType, sniffImageFormat, UPLOAD_CONTENT_TYPES, type UploadFormat } from "./image-formats.js";
import { decodeImage } from "./image-decoding.js";
import { withoutPrivateMetadata } from "./image-metadata.js";
import { contentHashOf, originalKey } from "./image-renditions.js";
import type { ImageAttachedPayload } from "./image-events.js";

/** How long a presigned upload URL works, and how long its upload may wait to be attached. */
const URL_TTL_SECONDS = 600;
const INTENT_TTL_MS = 3_600_000;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

interface UploadIntent {
  productId: string;
  format: UploadFormat;
  bytes: number;
  /** Set once attached: attaching the same upload again answers the product as it is. */
  attachedUrl?: string;
}

export interface ImageUploadTicket {
  uploadId: string;
  url: string;
  method: string;
  headers: { name: string; value: string }[];
  expiresAt: string;
  maxBytes: number;
}

/** BAD_USER_INPUT with `reason`, the one a client branches on. */
const refused = (reason: string, message: string, details: Record<string, unknown> = {}) => badInput(message, { reason, ...details });

/**
 * Admin image uploads in two steps. `createImageUpload` records what the upload must be
 * (product, type, exact length) and hands out a presigned PUT URL; the client sends the bytes
 * straight to object storage. `attachProductImage` then trusts nothing the client said: it
 * reads what arrived, checks its length and its magic bytes against the declared type,
 * decodes it fully, drops the metadata that would tell where and by whom a photo was taken,
 * stores it under its content hash and announces ImageAttached for the
 * renditions worker. The unchecked upload is never served (the origin serves `images/` only).
 */
export function createImageUploadService(deps: {
  objects: ObjectStore;
  kv: KeyValueStore;
  products: Pick<ProductService, "findByIds" | "attachImage">;
  bus: EventBus;
  maxBytes: number;
  logger: Logger;
}) {
  const { objects, kv, maxBytes } = deps;
  const intentKey = (uploadId: string) => `image-upload:${uploadId}`;
  const uploadKey = (uploadId: string) => `uploads/${uploadId}`;
  /** ImageAttached, keyed by content: the renditions of one image are made by one worker at a time. */
  const announce = async (productId: string, url: string, width: number, height: number) => {
    const payload: ImageAttachedPayload = { productId, url, width, height };
    await deps.bus.publish(Topics.imageAttached, [newEvent("ImageAttached", contentHashOf(url) ?? url, payload)]).catch((error: unknown) => {
      deps.logger.error("ImageAttached could not be published; the original is served until the upload is attached again", { productId, url, error: String(error) });
    });
  };

  return {
    async createImageUpload(productId: string, contentType: string, bytes: number): Promise<ImageUploadTicket> {
      const format = formatOfContentType(contentType);
      if (!format) {
        throw refused("UNSUPPORTED_TYPE", `Images are ${Object.values(UPLOAD_CONTENT_TYPES).join(", ")}`, { field: "contentType" });
      }
      if (!Number.isSafeInteger(bytes) || bytes < 1) throw refused("INVALID_SIZE", "bytes is the upload's exact length, at least 1", { field: "bytes" });
      if (bytes > maxBytes) throw refused("TOO_LARGE", `An image is at most ${maxBytes} bytes`, { field: "bytes", maxBytes });
      if (!(await deps.products.findByIds([productId])).has(productId)) throw notFound("Product", productId);
      const uploadId = randomUUID().replaceAll("-", "");
      const intent: UploadIntent = { productId, format, bytes };
      await kv.set(intentKey(uploadId), JSON.stringify(intent), INTENT_TTL_MS);
      const presigned = await objects.presignPut(uploadKey(uploadId), { contentType: UPLOAD_CONTENT_TYPES[format], contentLength: bytes, expiresInSeconds: URL_TTL_SECONDS });
      return {
        uploadId,
        url: presigned.url,
        method: presigned.method,
        headers: Object.entries(presigned.headers).map(([name, value]) => ({ name, value })),
        expiresAt: presigned.expiresAt.toISOString(),
        maxBytes,
      };
    },

    async attachProductImage(productId: string, uploadId: string, altText: string): Promise<Product> {
      let alt: string;
      try {
        alt = validAlt(altText);
      } catch (error) {
        throw refused("INVALID_ALT", (error as Error).message, { field: "alt" });
      }
      const stored = UPLOAD_ID.test(uploadId) ? await kv.get(intentKey(uploadId)) : null;
      const intent = stored ? (JSON.parse(stored) as UploadIntent) : undefined;
      // Another product's upload is as unknown here as an expired one.
      if (!intent || intent.productId !== productId) throw notFound("ImageUpload", uploadId);
      if (intent.attachedUrl) {
        const product = await deps.products.attachImage(productId, { url: intent.attachedUrl, alt }, (reason) => refused("TOO_MANY_IMAGES", reason));
        // Attaching again also announces again an image still without renditions (a lost announcement).
        const image = product.images.find((candidate) => candidate.url === intent.attachedUrl);
        if (image?.width && image.height && !image.renditionWidths) await announce(productId, image.url, image.width, image.height);
        return product;
      }

      const object = await objects.get(uploadKey(uploadId));
      if (!object) throw refused("NOT_UPLOADED", "Nothing was uploaded to this upload's URL yet", { uploadId });
      const discard = () => objects.delete(uploadKey(uploadId)).catch(() => undefined);
      if (object.size > maxBytes) {
        object.body.destroy();
        await discard();
        throw refused("TOO_LARGE", `An image is at most ${maxBytes} bytes`, { maxBytes });
      }
      const bytes = await readObjectBytes(object, maxBytes);
      if (bytes.length !== intent.bytes) {
        await discard();
        throw refused("SIZE_MISMATCH", `The upload is ${bytes.length} bytes, not the ${intent.bytes} announced`);
      }
      const format = sniffImageFormat(bytes);
      if (!format) {
        await discard();
        throw refused("NOT_AN_IMAGE", "The upload is not a JPEG, PNG, WebP, AVIF or GIF image");
      }
      if (format !== intent.format) {
        await discard();
        throw refused("TYPE_MISMATCH", `The upload is ${UPLOAD_CONTENT_TYPES[format]}, not the ${UPLOAD_CONTENT_TYPES[intent.format]} announced`);
      }
      const decoded = await decodeImage(bytes);
      if (!decoded.ok) {
        await discard();
        throw decoded.reason === "TOO_MANY_PIXELS"
          ? refused("TOO_LARGE", "The image has too many pixels")
          : refused("UNDECODABLE", "The upload starts like an image but does not decode as one");
      }

      let served: Buffer;
      try {
        served = await withoutPrivateMetadata(bytes, format);
      } catch (error) {
        await discard();
        throw /pixel limit/i.test(String(error)) ? refused("TOO_LARGE", "The image has too many pixels") : refused("UNDECODABLE", "The upload starts like an image but does not decode as one");
      }

      const contentHash = createHash("sha256").update(served).digest("hex");
      const url = originalKey(contentHash, FILE_EXTENSIONS[format]);
      if (!(await objects.head(url))) await objects.put(url, served, { contentType: UPLOAD_CONTENT_TYPES[format] });
      const product = await deps.products.attachImage(
        productId,
        { url, alt, width: decoded.width, height: decoded.height },
        (reason) => refused("TOO_MANY_IMAGES", reason),
      );
      await kv.set(intentKey(uploadId), JSON.stringify({ ...intent, attachedUrl: url }), INTENT_TTL_MS);
      await discard();
      await announce(productId, url, decoded.width, decoded.height);
      return product;
    },
  };
}

export type ImageUploadService = ReturnType<typeof createImageUploadService>;
