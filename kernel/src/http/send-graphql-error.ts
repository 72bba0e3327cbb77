import type { ServerResponse } from "node:http";

/** Answers with a GraphQL-shaped error body, for failures before execution starts. */
export function sendGraphQLError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
  locations?: readonly { line: number; column: number }[],
): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify({ errors: [{ message, ...(locations?.length ? { locations } : {}), extensions: { ...extensions, code } }] }));
}
