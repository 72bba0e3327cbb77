import type { IncomingMessage, ServerResponse } from "node:http";
import { isObjectKey, type Logger, type ObjectStore, type StoredObject } from "#kernel";

/** Objects the origin serves: checked originals, their renditions, demo placeholders. Raw uploads (`uploads/`) never. */
const SERVED = /^(originals|renditions|products)\//;

/** Every served object is named by its content (or is a fixed placeholder), so it never changes under its URL. */
const IMMUTABLE = "public, max-age=31536000, immutable";

export interface ImageOriginOptions {
  objects: ObjectStore;
  logger: Logger;
  /** Makes and stores a missing object on first request (demo placeholders); null: nothing to make. */
  makeMissing?: (key: string) => Promise<boolean>;
  prefix?: string;
}

const inList = (header: string | undefined, etag: string) =>
  header !== undefined && header.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value === etag || value === `W/${etag}`;
  });

/**
 * The image origin a CDN fronts: `GET|HEAD <prefix><blob path>` answers the object with its
 * type, length, strong ETag and a year of immutable caching; `If-None-Match` with the ETag is
 * 304. Keys that are not plain object keys (traversal, encoded slashes, control characters) are
 * 400, unknown ones 404. Returns false for paths outside the prefix.
 */
export function createImageOrigin(options: ImageOriginOptions) {
  const prefix = options.prefix ?? "/images/";
  const send = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers }).end(message);

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const raw = (req.url ?? "/").split("?")[0]!;
    if (!raw.startsWith(prefix)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "Images are read with GET or HEAD", { allow: "GET, HEAD" });
      return true;
    }
    let key: string;
    try {
      key = decodeURIComponent(raw.slice(prefix.length));
    } catch {
      send(res, 400, "Malformed image path");
      return true;
    }
    // Checked after decoding, so %2e%2e and %2f cannot smuggle a traversal past it.
    if (!isObjectKey(key) || key !== raw.slice(prefix.length)) {
      send(res, 400, "Not an image path");
      return true;
    }
    if (!SERVED.test(key)) {
      send(res, 404, "No such image");
      return true;
    }
    let object: StoredObject | null = await options.objects.get(key);
    if (!object && options.makeMissing && (await options.makeMissing(key))) object = await options.objects.get(key);
    if (!object) {
      send(res, 404, "No such image");
      return true;
    }
    const headers = { etag: object.etag, "cache-control": IMMUTABLE, "x-content-type-options": "nosniff" };
    if (inList(req.headers["if-none-match"] as string | undefined, object.etag)) {
      object.body.destroy();
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, "content-type": object.contentType, "content-length": String(object.size) });
    if (req.method === "HEAD") {
      object.body.destroy();
      res.end();
      return true;
    }
    object.body.on("error", (error) => {
      options.logger.warn("image stream failed", { key, error: String(error) });
      res.destroy();
    });
    object.body.pipe(res);
    return true;
  };
}
