import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmbeddedObjectStore } from "./embedded-object-store.js";

/**
 * The HTTP end of the embedded store's presigned URLs: `PUT <prefix><key>?type&length&expires&signature`.
 * Answers like S3 would in spirit (200 stored, 403 refused terms, 413 too long); anything but
 * PUT under the prefix is 405. Returns false for paths outside the prefix.
 */
export function createSignedUploadRoute(store: EmbeddedObjectStore, prefix = "/uploads/") {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://upload.invalid");
    if (!url.pathname.startsWith(prefix)) return false;
    if (req.method !== "PUT") {
      res.writeHead(405, { allow: "PUT", "content-type": "text/plain; charset=utf-8" }).end("Uploads are PUT to a presigned URL");
      return true;
    }
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Malformed upload URL");
      return true;
    }
    const outcome = await store.acceptSignedUpload({
      key,
      query: url.searchParams,
      contentType: req.headers["content-type"],
      contentLength: req.headers["content-length"],
      body: req as AsyncIterable<Buffer>,
    });
    // A refused upload may leave body bytes unread; closing the connection discards them.
    const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8", ...(outcome.status === 200 ? {} : { connection: "close" }) };
    if (outcome.object) headers.etag = outcome.object.etag;
    res.writeHead(outcome.status, headers).end(outcome.message);
    return true;
  };
}
