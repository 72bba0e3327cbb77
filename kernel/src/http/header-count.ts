import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode } from "../errors/error-codes.js";
import { sendGraphQLError } from "./send-graphql-error.js";

/**
 * Headers one request may carry. A browser sends about 20, a proxy adds a few; Node's own limit
 * (`maxHeadersCount`, 2,000) drops the headers past it without a word, and below it 1,500 tiny
 * distinct headers (well under the 16 KB size limit) cost the gateway about 1 ms of CPU each
 * request before anything could refuse it.
 */
export const MAX_REQUEST_HEADERS = 100;

/**
 * What a server hands JavaScript of a request's headers: one past the limit, so a request over it
 * is seen to be (Node stops collecting a little past `maxHeadersCount`, and would drop the rest).
 */
export const COLLECTED_HEADERS = MAX_REQUEST_HEADERS + 1;

/** Why a request with too many headers is refused, or undefined when it has few enough. */
export function tooManyHeaders(req: IncomingMessage): string | undefined {
  // rawHeaders holds names and values in turn, as many as the parser collected.
  if (req.rawHeaders.length / 2 <= MAX_REQUEST_HEADERS) return undefined;
  return `The request has more than ${MAX_REQUEST_HEADERS} headers, the most accepted: send only the headers it needs`;
}

/** A request with more than MAX_REQUEST_HEADERS headers, refused 431 whole rather than read in part; its socket closed. */
export function refuseTooManyHeaders(req: IncomingMessage, res: ServerResponse): boolean {
  const message = tooManyHeaders(req);
  if (message === undefined) return false;
  req.resume();
  sendGraphQLError(res, 431, ErrorCode.BAD_USER_INPUT, message, { connection: "close" });
  return true;
}
