import { print, type DocumentNode, type OperationDefinitionNode, type OperationTypeNode } from "graphql";
import { persistedOperations } from "./generated/persisted-operations.js";

/** What the client sends for one operation, and what it needs to know to send it well. */
export interface OperationRequest {
  operationName: string | undefined;
  operation: OperationTypeNode;
  /** The golden operation's exact text (so its persisted id matches), or the printed document. */
  query: string;
  /** The persisted id of a golden operation; undefined for any other document. */
  persistedId: string | undefined;
}

const cache = new WeakMap<DocumentNode, OperationRequest>();

/**
 * Describes a document once. A golden operation is sent as the text of its .graphql file with
 * its persisted id, the pair the gateway's manifest knows; with `hashOnly`, the text is left
 * out and the gateway fills it in from its manifest (PERSISTED_OPERATIONS_PATH).
 */
export function describeOperation(document: DocumentNode): OperationRequest {
  const known = cache.get(document);
  if (known) return known;
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
  if (!definition) throw new TypeError("The document has no operation");
  const operationName = definition.name?.value;
  const persisted = operationName !== undefined && Object.hasOwn(persistedOperations, operationName)
    ? persistedOperations[operationName as keyof typeof persistedOperations]
    : undefined;
  const described: OperationRequest = {
    operationName,
    operation: definition.operation,
    query: persisted?.query ?? print(document),
    persistedId: persisted?.id,
  };
  cache.set(document, described);
  return described;
}

export function requestBody(request: OperationRequest, variables: unknown, hashOnly: boolean): string {
  const extensions = request.persistedId ? { persistedQuery: { version: 1, sha256Hash: request.persistedId } } : undefined;
  return JSON.stringify({
    ...(hashOnly && request.persistedId ? {} : { query: request.query }),
    operationName: request.operationName,
    variables: variables ?? {},
    ...(extensions ? { extensions } : {}),
  });
}
