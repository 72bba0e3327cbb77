import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode } from "#kernel";

interface ValueCompletionError {
  message?: string;
  path?: readonly (string | number)[];
}

/**
 * Whether the null stopped at the object that lacked the field: a nullable reference whose
 * entity is gone (an order line's variant removed from the catalog since) is an answer the
 * schema designs for, not a cut; a null that climbed further (up to `data` itself) is.
 */
function entityGone(data: unknown, path: readonly (string | number)[] | undefined): boolean {
  if (!Array.isArray(path) || path.length < 2) return false;
  let value: unknown = data;
  for (let depth = 0; depth < path.length; depth++) {
    if (value === null || value === undefined) return depth === path.length - 1;
    value = (value as Record<string | number, unknown>)[path[depth]!];
  }
  return false;
}

/**
 * When every subgraph answered without an error but the gateway still had to null a field the
 * schema promises is never null (a search hit for a product deleted since it was indexed, an
 * entity a subgraph no longer knows), @apollo/gateway reports it only in
 * `extensions.valueCompletion`, which clients never read: they would see `data: null`, or a
 * missing branch, and no error at all. This turns each such report into an error with a code
 * and the path that was cut, so "no errors" always means "complete".
 */
export function incompleteResultPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind === "single") reportIncompleteResult(response.body.singleResult);
        },
      };
    },
  };
}

/** An answer's `extensions.valueCompletion` made errors with a code, in place (the plugin's, and the persisted answers' own path's). */
export function reportIncompleteResult(result: { data?: unknown; errors?: readonly unknown[]; extensions?: Record<string, unknown> }): void {
  const completion = result.extensions?.valueCompletion as ValueCompletionError[] | undefined;
  if (!completion) return;
  const { valueCompletion: _reported, ...extensions } = result.extensions!;
  result.extensions = Object.keys(extensions).length ? extensions : undefined;
  const reports = (Array.isArray(completion) && completion.length ? completion : [{}]).filter((report) => !entityGone(result.data, report.path));
  if (reports.length === 0) return;
  result.errors = [
    ...(result.errors ?? []),
    ...reports.map((report) => ({
      message: "Part of the answer could not be completed: a record it refers to is missing or changed; retry shortly",
      ...(Array.isArray(report.path) ? { path: report.path } : {}),
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, reason: "INCOMPLETE_RESULT" },
    })),
  ];
}
