import type { IncomingMessage, ServerResponse } from "node:http";
import { createSignedUploadRoute, EmbeddedObjectStore, httpOrigin, openObjectStore, type Platform, type Logger, type ObjectStore } from "#kernel";
import type { ProductService } from "../domain/product.service.js";
import { createImageUploadService, type ImageUploadService } from "./image-upload.service.js";
import { startRenditionWorker } from "./rendition-worker.js";
import { createImageOrigin } from "./image-origin.js";
import { createDemoPlaceholders } from "./demo-placeholders.js";
import type { ImageAttachedPayload } from "./image-events.js";

export interface ProductImagesOptions {
  /** Another object store than the configured one (tests). */
  objects?: ObjectStore;
  /** Whether this process runs a member of the renditions worker group (default true). */
  makeRenditions?: boolean;
  /** Told after each ImageAttached the worker handled (tests). */
  onRenditions?: (payload: ImageAttachedPayload) => void;
  /**
   * Where the gateway serving `/images` listens, when it is not the configured one (a
   * supergraph on free ports): asked per request, so it can be learnt after this starts.
   */
  gatewayOrigin?: () => string;
}

export interface ProductImages {
  objects: ObjectStore;
  uploads: ImageUploadService;
  /** The image origin (`/images/…`) and, for the embedded store, its upload route (`/uploads/…`). */
  publicHandler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Tells where this subgraph listens, once it does: the default image base and upload URLs follow it. */
  listeningAt(origin: string): void;
  /** Base URL of image blob paths: IMAGE_CDN_URL, else the gateway's `/images`, which forwards to this subgraph's origin route. */
  baseUrl(): string;
  stop(): Promise<void>;
}

/** Everything about product images in the products subgraph: storage, uploads, renditions, origin. */
export async function startProductImages(
  platform: Platform,
  deps: { service: ProductService; logger: Logger },
  options: ProductImagesOptions = {},
): Promise<ProductImages> {
  const { config } = platform;
  let origin = httpOrigin(config.host, config.subgraphPorts.products);
  const objects = options.objects ?? (await openObjectStore(config, { uploadBaseUrl: () => `${origin}/uploads` }));
  const uploads = createImageUploadService({ objects, kv: platform.kv, products: deps.service, bus: platform.bus, maxBytes: config.objects.maxImageBytes, logger: deps.logger });
  const worker =
    options.makeRenditions === false
      ? undefined
      : await startRenditionWorker({ bus: platform.bus, objects, products: deps.service, logger: deps.logger, onHandled: options.onRenditions });
  const serveImage = createImageOrigin({ objects, logger: deps.logger, makeMissing: createDemoPlaceholders({ objects, findByIds: deps.service.findByIds }) });
  // S3 receives its presigned uploads itself; only the folder needs a route of ours.
  const receiveUpload = objects instanceof EmbeddedObjectStore ? createSignedUploadRoute(objects) : undefined;
  return {
    objects,
    uploads,
    publicHandler: async (req, res) => (await serveImage(req, res)) || (receiveUpload ? receiveUpload(req, res) : false),
    listeningAt(url) {
      origin = url.replace(/\/+$/, "");
    },
    baseUrl: () => config.catalog.imageCdnUrl ?? `${options.gatewayOrigin?.() ?? httpOrigin(config.host, config.gateway.port)}/images`,
    async stop() {
      await worker?.stop();
      if (!options.objects) await objects.close();
    },
  };
}
