import type { GraphQLFormattedError } from "graphql";
import { ErrorCode, isPublicErrorCode } from "./error-codes.js";
import type { Logger } from "../logging/logger.js";

/**
 * Builds the one formatter every server uses: coded errors pass through without stack
 * traces; anything unknown becomes INTERNAL_SERVER_ERROR and is logged with its detail.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isPublicErrorCode(code)) {
      const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error("unexpected error", {
      message: formatted.message,
      path: formatted.path,
      error: describe(error),
    });
    return {
      message: "Something went wrong on our side; please try again",
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

function describe(error: unknown): string {
  const original = (error as { originalError?: unknown })?.originalError ?? error;
  return original instanceof Error ? (original.stack ?? original.message) : String(original);
}
