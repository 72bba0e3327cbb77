/**
 * What a failed call looks like to an app: the gateway's stable error code (`UNAUTHENTICATED`,
 * `OUT_OF_STOCK`, `RATE_LIMITED`, ...), or `NETWORK_ERROR` when no answer arrived, with the
 * gateway's message and extensions as sent.
 */
export class StorefrontError extends Error {
  override readonly name = "StorefrontError";

  constructor(
    readonly code: string,
    message: string,
    readonly details: {
      operationName?: string;
      /** HTTP status of the answer, when there was one. */
      status?: number;
      extensions?: Record<string, unknown>;
      /** Seconds the gateway asked to wait before trying again (rate limits). */
      retryAfterSeconds?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}

/** Close codes graphql-ws uses when the server refuses a connection's credentials. */
export const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([4401, 4403]);

/** The error a subscription surfaces when the gateway closes its socket over credentials. */
export function subscriptionAuthError(code: number, reason: string, operationName?: string): StorefrontError {
  const said = reason.trim() && reason !== "Forbidden" && reason !== "Unauthorized" ? `: ${reason}` : "";
  return new StorefrontError(
    "UNAUTHENTICATED",
    `The gateway refused this connection's access token (WebSocket closed ${code}${said}); sign in again, or refresh the session, and subscribe again`,
    { operationName, extensions: { closeCode: code, closeReason: reason } },
  );
}
