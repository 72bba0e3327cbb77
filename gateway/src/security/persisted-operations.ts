import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { registerKnownOperationNames } from "#kernel";

export const operationId = (query: string): string => createHash("sha256").update(query).digest("hex");

interface GraphQLBody {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown; version?: unknown } };
}

/**
 * What is wrong with a request's automatic-persisted-query extension, if anything. Apollo
 * Server answers these without a code (so they were masked as internal errors, each logged
 * with a stack): judged here first, as the client's mistakes they are.
 */
export function persistedQueryProblem(body: GraphQLBody): { code: "BAD_USER_INPUT" | "PERSISTED_QUERY_NOT_FOUND"; message: string } | undefined {
  const extension = body.extensions?.persistedQuery;
  if (extension === undefined || extension === null) return undefined;
  if (typeof extension !== "object" || Array.isArray(extension)) return { code: "BAD_USER_INPUT", message: "extensions.persistedQuery must be an object" };
  if (extension.version !== 1) return { code: "BAD_USER_INPUT", message: "extensions.persistedQuery.version must be 1" };
  const hash = extension.sha256Hash;
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) return { code: "BAD_USER_INPUT", message: "extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits" };
  // A hash alone that nothing knows: the protocol's answer, on which a client sends the query too.
  if (typeof body.query !== "string") return { code: "PERSISTED_QUERY_NOT_FOUND", message: "PersistedQueryNotFound" };
  if (operationId(body.query) !== hash) return { code: "BAD_USER_INPUT", message: "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query" };
  return undefined;
}

export type PersistedCheck = { ok: true } | { ok: false; message: string };

/**
 * The allow-list of operations production clients were built with (sha256 of the query text
 * -> query). Clients may send just the hash (APQ style). With `only`, anything else is
 * refused, so a leaked token cannot run arbitrary queries.
 */
export function loadPersistedOperations(path: string | undefined, only: boolean) {
  const manifest = new Map<string, string>();
  if (path) {
    if (!existsSync(path)) throw new Error(`PERSISTED_OPERATIONS_PATH ${path} does not exist`);
    for (const [id, query] of Object.entries(JSON.parse(readFileSync(path, "utf8")) as Record<string, string>)) manifest.set(id, query);
    // The names clients were built with always get their own series in the metrics.
    registerKnownOperationNames([...manifest.values()].flatMap((query) => [...query.matchAll(/\b(?:query|mutation|subscription)\s+([A-Za-z_]\w*)/g)].map((m) => m[1]!)));
  }
  if (only && manifest.size === 0) throw new Error("PERSISTED_OPERATIONS_ONLY needs a non-empty PERSISTED_OPERATIONS_PATH manifest");

  /** Fills in the query of a hash-only request and enforces the allow-list; mutates `body`. */
  return (body: GraphQLBody): PersistedCheck => {
    const hash = body.extensions?.persistedQuery?.sha256Hash;
    if (typeof body.query !== "string" && typeof hash === "string" && manifest.has(hash)) {
      body.query = manifest.get(hash);
      return { ok: true };
    }
    if (!only) return { ok: true };
    if (typeof body.query === "string" && manifest.has(operationId(body.query))) return { ok: true };
    return { ok: false, message: "Only persisted operations are accepted here" };
  };
}

export type PersistedOperationCheck = ReturnType<typeof loadPersistedOperations>;
