import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ErrorCode } from "../errors/error-codes.js";
import { sendGraphQLError } from "./send-graphql-error.js";
import { NO_SNIFF } from "./no-sniff.js";

/**
 * What a client is told when its bytes are no HTTP request the server can read (a garbled
 * request line or chunk, headers over the size limit, a request that did not arrive in time),
 * in the same shape as every other refusal: JSON with `extensions.code` and a message saying
 * what to change. Node's own answers were a bare status line with no body (`431` for 16 KB of
 * headers, an oversized access token among them), which no client could tell apart.
 *
 * Answers only a socket nothing was written to yet (as Node does); then closes it, for a
 * parser that lost its place cannot find the next request.
 */
export function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }): void {
  if (error.code !== "ECONNRESET" && socket.writable && (socket.bytesWritten ?? 0) === 0) {
    const [status, message] = refusalOf(error.code);
    const body = JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${NO_SNIFF[0]}: ${NO_SNIFF[1]}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function refusalOf(code: string | undefined): [number, string] {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return [431, "The request's headers are too large together: send fewer or shorter ones"];
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, "The request's chunk extensions are too large"];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "The request did not arrive in time: send it whole, without pausing"];
    default:
      return [400, "The request is not valid HTTP/1.1 (its request line, a header, or the body's framing)"];
  }
}

/**
 * An HTTP/1.1 request without a Host header (RFC 9112 requires one), refused here rather than by
 * Node, whose refusal had no body.
 */
export function refuseWithoutHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.httpVersion !== "1.1" || req.headers.host !== undefined) return false;
  req.resume();
  sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, "An HTTP/1.1 request must have a Host header", { connection: "close" });
  return true;
}

/**
 * A request whose body comes in chunks (`Transfer-Encoding`), refused before any of its body is
 * read, and its socket closed. Node's parser hands each chunk to JavaScript on its own, so the
 * work of a body grows with its chunks, not its bytes: a 100 KB body sent as one-byte chunks
 * (594 KB on the wire) took 0.6 s of the gateway's CPU and held every other request up to 1.2 s,
 * before any budget could count it (bodies are read before admission), and 0.3 s on a route
 * that reads no body (a GET of /healthz). Every client of this API knows its body's size before
 * sending it (fetch sends a Content-Length for every string, Blob or File body), so only
 * streaming senders are told to send one.
 */
export function refuseChunkedBody(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers["transfer-encoding"] === undefined) return false;
  // Read nothing more: what the parser already holds is all the work this socket gets.
  req.socket.pause();
  res.once("finish", () => req.socket.destroy());
  sendGraphQLError(res, 411, ErrorCode.BAD_USER_INPUT, "A request body is sent with a Content-Length header, not in chunks (Transfer-Encoding)", { connection: "close" });
  return true;
}
