import { GraphQLError, type GraphQLFormattedError } from "graphql";

/** An ApolloServer's `formatError`: the formatted error and the error it was made from. */
export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * An answer's errors formatted as Apollo Server 5 formats them (its `normalizeAndFormatErrors`,
 * which its package does not export), for the answers written without its pipeline
 * (`persisted-answers.ts`): each error given a code (INTERNAL_SERVER_ERROR when it has none),
 * its `extensions.http` taken out as the answer's status, then passed to the server's
 * formatter; a formatter that throws leaves a bare internal error. No stack trace is included
 * (the gateway sets `includeStacktraceInErrorResponses: false`).
 */
export function formatErrorsAsApollo(
  errors: readonly GraphQLError[],
  formatError: ErrorFormatter,
): { errors: GraphQLFormattedError[]; status: number | undefined; headers: Map<string, string> } {
  let status: number | undefined;
  const headers = new Map<string, string>();
  const formatted = errors.map((error) => {
    try {
      const graphqlError = asGraphQLError(error);
      const extensions: Record<string, unknown> = { ...graphqlError.extensions, code: graphqlError.extensions.code ?? "INTERNAL_SERVER_ERROR" };
      const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
      if (isPartialHttpHead(http)) {
        if (typeof http.status === "number" && http.status) status = http.status;
        for (const [name, value] of http.headers ?? []) headers.set(name, value);
        delete extensions.http;
      }
      return formatError({ ...graphqlError.toJSON(), extensions }, error);
    } catch {
      return { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    }
  });
  return { errors: formatted, status, headers };
}

/** An error as Apollo Server makes a GraphQL error of anything thrown. */
export function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const failure = error instanceof Error ? error : new GraphQLError(`Unexpected error value: ${String(error)}`);
  return failure instanceof GraphQLError ? failure : new GraphQLError(failure.message, { originalError: failure });
}

/** Apollo Server's test of an `extensions.http` it takes out: a status that is a number and headers that are a Map, each if given. */
function isPartialHttpHead(value: unknown): value is { status?: number; headers?: Map<string, string> } {
  if (!value || typeof value !== "object") return false;
  const head = value as { status?: unknown; headers?: unknown };
  return (!("status" in head) || typeof head.status === "number") && (!("headers" in head) || head.headers instanceof Map);
}
