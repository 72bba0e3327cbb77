import type { StorefrontError } from "../../../clients/typescript/src/index.js";

/** Failures of the moment: the same request may succeed later, so "Try again" is worth offering. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(["NETWORK_ERROR", "RATE_LIMITED", "SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "BAD_RESPONSE"]);

/**
 * Whether sending the same request again can succeed. A refusal of what was asked
 * (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN...) answers the same every time: a "Try again" beside
 * it could only fail again.
 */
export function isRetryable(error: StorefrontError): boolean {
  return RETRYABLE_CODES.has(error.code) || (error.details.status !== undefined && error.details.status >= 500);
}
