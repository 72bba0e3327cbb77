import { PERSISTED_ID_KEYS } from "../execution/misnamed-request-parts.js";

/**
 * A graphql-ws message cut to what the gateway reads of it, before graphql-ws is handed it.
 *
 * graphql-ws keeps a socket's `connection_init` payload (`ctx.connectionParams`) for as long as
 * the socket is open, and a subscribe message whole for as long as its subscription lives (its
 * result loop holds it, to pass it to every `onNext`). The gateway reads the authorization of the
 * one, and the query, operation name, variables and persisted-query hash of the other, and
 * counts only those (a live subscription's bytes, MAX_LIVE_SUBSCRIPTION_BYTES): 12 sockets whose
 * `connection_init` carried 95 KB of empty JSON objects beside the token held 24 MB of the
 * gateway (2 MB each, for as long as each socket stayed open: an address's 16 sockets 32 MB, an
 * IPv6 site's 256 half a gigabyte), and 12 live subscriptions padded alike under `extensions` or
 * a key of no meaning another 25 MB, outside every count.
 *
 * Values are kept as the client sent them, right or wrong: the gateway judges them (a token
 * that is not a string, variables that are not an object) as before.
 */
export function fieldsTheGatewayReads(message: unknown): unknown {
  if (!isObject(message)) return message;
  if (message.type === "connection_init" && isObject(message.payload)) return { ...message, payload: authorizationOf(message.payload) };
  if (message.type === "subscribe" && isObject(message.payload)) return { ...message, payload: operationOf(message.payload) };
  return message;
}

/** Every entry named authorization, in any letter case: two spellings are refused (connectionAuthorization). */
function authorizationOf(payload: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).filter(([name]) => name.toLowerCase() === "authorization"));
}

/** What the request policy reads of an operation, as over HTTP: no key of no meaning, no extension but `persistedQuery`. */
function operationOf(payload: Record<string, unknown>): Record<string, unknown> {
  const { query, operationName, variables, extensions } = payload;
  const kept: Record<string, unknown> = {};
  if (query !== undefined) kept.query = query;
  if (operationName !== undefined) kept.operationName = operationName;
  if (variables !== undefined) kept.variables = variables;
  if (extensions !== undefined) kept.extensions = isObject(extensions) ? persistedQueryOf(extensions) : extensions;
  // An operation named by another server's key for a persisted id is told so: the key is kept, not its value.
  if (query === undefined) for (const key of PERSISTED_ID_KEYS) if (Object.hasOwn(payload, key)) kept[key] = true;
  return kept;
}

const persistedQueryOf = (extensions: Record<string, unknown>): Record<string, unknown> =>
  extensions.persistedQuery === undefined ? {} : { persistedQuery: extensions.persistedQuery };

/** A JSON object (not null, not an array), as graphql-ws judges a payload. */
export const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
