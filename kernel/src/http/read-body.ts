import { isUtf8 } from "node:buffer";
import type { IncomingMessage } from "node:http";

export class BodyTooLargeError extends Error {}
export class InvalidUtf8Error extends Error {}

/**
 * Reads a request body, refusing it as soon as it grows past the limit. Bytes that are not
 * UTF-8 are refused rather than silently replaced, so what is stored is what was sent.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limitBytes) throw new BodyTooLargeError(`Request body over ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new BodyTooLargeError(`Request body over ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (!isUtf8(body)) throw new InvalidUtf8Error("The request body is not valid UTF-8");
  return body.toString("utf8");
}
