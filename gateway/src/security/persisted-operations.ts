import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { operationNamesIn, registerKnownOperationNames } from "#kernel";

export const operationId = (query: string): string => createHash("sha256").update(query).digest("hex");

interface GraphQLBody {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown; version?: unknown } };
}

/**
 * What is wrong with a request's automatic-persisted-query extension's shape, if anything.
 * Apollo Server answers these without a code (so they were masked as internal errors, each
 * logged with a stack): judged here first, as the client's mistakes they are.
 */
function extensionShapeProblem(extension: unknown): string | undefined {
  if (typeof extension !== "object" || extension === null || Array.isArray(extension)) return "extensions.persistedQuery must be an object";
  const { version, sha256Hash } = extension as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) return "extensions.persistedQuery.version must be 1";
  if (typeof sha256Hash !== "string" || !/^[0-9a-f]{64}$/.test(sha256Hash)) return "extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits";
  return undefined;
}

/**
 * The refusal under PERSISTED_OPERATIONS_ONLY. Most often met by a client developer whose
 * operation changed by one field or one space since the manifest was built: it says that the
 * exact text counts and how an operation gets in.
 */
export const NOT_PERSISTED =
  "Only persisted operations run here (PERSISTED_OPERATIONS_ONLY), matched by the SHA-256 of their exact text: add a new or edited operation to schema/operations and run npm run build:operations, which writes the manifest this gateway loads";

export type PersistedCheck = { ok: true } | { ok: false; code: "OPERATION_NOT_ALLOWED" | "BAD_USER_INPUT" | "PERSISTED_QUERY_NOT_FOUND"; message: string };

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
    registerKnownOperationNames(operationNamesIn(manifest.values()));
  }
  if (only && manifest.size === 0) throw new Error("PERSISTED_OPERATIONS_ONLY needs a non-empty PERSISTED_OPERATIONS_PATH manifest");

  /**
   * Judges the persisted-query extension, fills in the query of a hash-only request and
   * enforces the allow-list; mutates `body`. The query text is hashed at most once.
   */
  const check = (body: GraphQLBody): PersistedCheck => {
    const extension = body.extensions?.persistedQuery;
    const hash = extension?.sha256Hash;
    let id: string | undefined;
    // A hash alone that the manifest knows: its query (the manifest's key is its hash).
    const filled = typeof body.query !== "string" && typeof hash === "string" && manifest.has(hash);
    if (filled) {
      body.query = manifest.get(hash);
      id = hash;
    } else if (only) {
      id = typeof body.query === "string" ? operationId(body.query) : undefined;
      if (id === undefined || !manifest.has(id)) return { ok: false, code: "OPERATION_NOT_ALLOWED", message: NOT_PERSISTED };
    }
    if (extension === undefined || extension === null) return { ok: true };
    const problem = extensionShapeProblem(extension);
    if (problem) return { ok: false, code: "BAD_USER_INPUT", message: problem };
    // A hash alone that nothing knows: the protocol's answer, on which a client sends the query too.
    if (typeof body.query !== "string") return { ok: false, code: "PERSISTED_QUERY_NOT_FOUND", message: "PersistedQueryNotFound" };
    if ((id ?? operationId(body.query)) !== hash) return { ok: false, code: "BAD_USER_INPUT", message: "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query" };
    return { ok: true };
  };
  /** The manifest's operation texts (what the gateway plans ahead of the first request). */
  return Object.assign(check, { texts: (): Iterable<string> => manifest.values() });
}

export type PersistedOperationCheck = ReturnType<typeof loadPersistedOperations>;
