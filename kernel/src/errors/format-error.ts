import type { GraphQLFormattedError } from "graphql";
import { ErrorCode, isPublicErrorCode } from "./error-codes.js";
import { revealsInternals } from "./internal-detail.js";
import { isTransientInfrastructureError } from "./transient-error.js";
import type { Logger } from "../logging/logger.js";

export interface ErrorFormatterOptions {
  /**
   * Keep graphql-js's "Did you mean ...?" hints. They spell out the schema field by field, so
   * a server with introspection off must not give them: off unless asked for (the gateway
   * asks outside production; subgraphs answer the gateway only, which validates first).
   */
  fieldSuggestions?: boolean;
}

/** Extension keys that only ever carry server internals. */
const INTERNAL_EXTENSIONS = new Set(["stacktrace", "exception", "cause", "originalError", "stack"]);

const SUGGESTION = / ?Did you mean\b[^?]*\?/g;

/**
 * The message without its "Did you mean ...?" hints, in time linear in the message. Messages
 * echo what clients send, and the pattern alone ran from each "Did you mean" it met to the end
 * of a text holding no "?" after it: a 90 KB message of those words took 3.8 s. Only the text
 * up to the last "?" can hold a hint, and there every scan ends at a "?" it consumes.
 */
export function withoutSuggestions(message: string): string {
  const lastQuestionMark = message.lastIndexOf("?");
  if (lastQuestionMark < 0) return message;
  return message.slice(0, lastQuestionMark + 1).replace(SUGGESTION, "") + message.slice(lastQuestionMark + 1);
}

/**
 * Builds the one formatter every server uses. What a client sees is only what was written
 * for clients:
 * - an error without a public code, or INTERNAL_SERVER_ERROR, is masked and logged;
 * - a coded error keeps its code, but a message that reveals internals (stack, path, SQL,
 *   driver text) is replaced and logged, and so is any extension value that does;
 * - suggestions are removed unless `fieldSuggestions` is set.
 */
export function createErrorFormatter(logger: Logger, options: ErrorFormatterOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const unexpected = !isPublicErrorCode(code) || code === ErrorCode.INTERNAL_SERVER_ERROR;
    if (unexpected && isTransientInfrastructureError(originalOf(error))) {
      // A database restarting or a connection reset: the client should retry, and says so only
      // if told (a retried checkout replays under its key; an INTERNAL_SERVER_ERROR reads final).
      logger.warn("dependency unavailable", { message: formatted.message, path: formatted.path, error: describe(error) });
      return {
        message: "A service this operation needs is unavailable for a moment; please retry",
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
      };
    }
    if (unexpected) {
      logger.error("unexpected error", { message: formatted.message, path: formatted.path, error: describe(error) });
      return {
        message: "Something went wrong on our side; please try again",
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
      };
    }
    const extensions: Record<string, unknown> = {};
    const withheld: string[] = [];
    for (const [key, value] of Object.entries(formatted.extensions ?? {})) {
      const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
      if (INTERNAL_EXTENSIONS.has(key) || revealsInternals(text)) withheld.push(key);
      else extensions[key] = value;
    }
    let message = formatted.message;
    if (revealsInternals(message)) {
      withheld.push("message");
      message = `The request could not be completed (${code})`;
    }
    if (withheld.length > 0) {
      logger.warn("error detail withheld from the client", { code, withheld, message: formatted.message, path: formatted.path, error: describe(error) });
    } else if (code === ErrorCode.SERVICE_UNAVAILABLE && formatted.extensions?.reason !== "OVERLOADED") {
      // The client learns only that a dependency failed; the why is for operators. (Refusals of
      // an overloaded service are counted, not logged: a line each would add to the overload.)
      logger.warn("dependency unavailable", { message: formatted.message, path: formatted.path, error: describe(error) });
    }
    if (!options.fieldSuggestions) message = withoutSuggestions(message);
    return { ...formatted, message: shortened(message), extensions };
  };
}

/**
 * Characters of a message a client is sent. graphql-js quotes a value it refuses whole, and
 * names are bounded but values are not: a 90,000-digit Int literal came back in a 90 KB
 * message, a 99 KB string variable given for an Int in a 198 KB one (quoted twice). No
 * message written for clients comes near this.
 */
export const MAX_MESSAGE_CHARACTERS = 1_000;

function shortened(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARACTERS) return message;
  // Never half a surrogate pair: the answer stays valid UTF-8 text.
  const end = /[\uD800-\uDBFF]/.test(message[MAX_MESSAGE_CHARACTERS - 1]!) ? MAX_MESSAGE_CHARACTERS - 1 : MAX_MESSAGE_CHARACTERS;
  return `${message.slice(0, end)}… (${message.length - end} more characters left out)`;
}

const originalOf = (error: unknown): unknown => (error as { originalError?: unknown } | null)?.originalError ?? error;

/** The original error's stack, and its causes', for the log. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = originalOf(error);
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    // A subgraph's error arrives as a plain object: its text, not "[object Object]".
    parts.push(current instanceof Error ? (current.stack ?? current.message) : typeof current === "object" && current !== null ? jsonOf(current) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\ncaused by: ");
}

function jsonOf(value: object): string {
  try {
    return JSON.stringify(value).slice(0, 2_000);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
