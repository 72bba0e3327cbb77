import { Kind, TypeInfo, visit, visitWithTypeInfo, type ASTNode, type GraphQLInputType, type GraphQLSchema, type OperationDefinitionNode, type VariableDefinitionNode } from "graphql";
import { suggestionList } from "graphql/jsutils/suggestionList.js";

/**
 * What a refusal adds when the request names a part other than the operation does: a variable
 * sent under another spelling (`productID` for `$productId`), an `operationName` in another
 * case, variables sent as a string holding JSON. graphql-js says what is missing and nothing of
 * what was sent instead, so a client whose names were off by a letter's case was told to send
 * what it believed it sent. Each hint quotes only the request's own names, a few of them and
 * each cut short, so a refusal stays small whatever was sent (a schema's names stay out, as
 * field suggestions do in production).
 */

/** Names a hint quotes at most, and how many characters of each. */
const NAMES_QUOTED = 3;
const NAME_CHARACTERS = 64;

const cut = (name: string): string => (name.length > NAME_CHARACTERS ? `${name.slice(0, NAME_CHARACTERS)}…` : name);
const quoted = (name: string): string => JSON.stringify(cut(name));

/**
 * For a required variable the request did not send: the names it sent that the operation
 * declares no variable of, or "" when every name it sent is declared.
 */
export function undeclaredVariablesHint(definitions: readonly VariableDefinitionNode[], variables: Record<string, unknown>): string {
  const declared = new Set(definitions.map((definition) => definition.variable.name.value));
  const undeclared: string[] = [];
  // Stops at the names it quotes: a request's variables may hold thousands.
  for (const name in variables) {
    if (!Object.hasOwn(variables, name) || declared.has(name)) continue;
    undeclared.push(name);
    if (undeclared.length > NAMES_QUOTED) break;
  }
  if (undeclared.length === 0) return "";
  const names = undeclared.slice(0, NAMES_QUOTED).map(quoted).join(", ") + (undeclared.length > NAMES_QUOTED ? ", …" : "");
  return ` The variables sent hold ${names}, which the operation declares no variable of: variable names match in exact case, without the "$".`;
}

/** For an operationName the document has no operation of: the names its operations have. */
export function operationNamesHint(operations: readonly OperationDefinitionNode[]): string {
  const names = operations.flatMap((operation) => (operation.name ? [operation.name.value] : []));
  if (names.length === 0) return " (its operations have no names: send none)";
  return ` (its operations: ${names.slice(0, NAMES_QUOTED).map(quoted).join(", ")}${names.length > NAMES_QUOTED ? ", …" : ""}; names match in exact case)`;
}

/** For variables that are no JSON object: what to send instead when they came as a string of one. */
export function variablesShapeHint(variables: unknown): string {
  return typeof variables === "string" && variables.trimStart().startsWith("{") ? ", not a string holding one: send the object itself, not JSON.stringify of it" : "";
}

/**
 * For a variable the document uses and its operation does not declare (graphql-js's "is not
 * defined"): the declared names it is likely meant to be (`$productID` where `$productId` is
 * declared), or else the declaration to write, with the type its place takes. graphql-js says
 * the one typo as two mistakes (this one, and the declared name "never used") and neither which
 * name was meant nor how to declare a new one. The names
 * quoted are the document's own, so the hint stays in production as the request's other hints
 * do; the type comes from `schema`, given only where the schema may be shown (outside
 * production, as field suggestions). "" when nothing is to be added.
 */
export function variableNameHint(error: { message: string; nodes?: readonly ASTNode[] | undefined }, schema: GraphQLSchema | undefined): string {
  const [first, second] = error.nodes ?? [];
  if (first?.kind === Kind.VARIABLE && second?.kind === Kind.OPERATION_DEFINITION && / is not defined( by operation "[^"]*")?\.$/.test(error.message)) {
    const name = first.name.value;
    const near = nearNames(name, declaredNames(second));
    if (near.length > 0) return ` The operation declares ${near.map((candidate) => quoted(`$${candidate}`)).join(", ")}: a variable is used by the name it is declared with, in exact case.`;
    const type = schema && usageTypes(schema, second).get(first);
    const declaration = `${second.operation}${second.name ? ` ${cut(second.name.value)}` : ""}(${cut(`$${name}`)}: ${type ? String(type) : "<its type>"})`;
    return ` Declare it in the operation's variables: ${declaration}.`;
  }
  return "";
}

const declaredNames = (operation: OperationDefinitionNode): string[] => (operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value);

/**
 * Declared names measured against a misnamed one. The measure (an edit distance) costs the
 * product of two names' lengths: over every declared name, for each of the errors a document
 * may carry, a 35 KB document of 128-character names cost 400 ms of the gateway's CPU. A name
 * differing only in case is found among them all (one cheap pass); the measure goes to the few
 * closest in length, as a real operation's handful of variables all are, and only for a name
 * of a length people type.
 */
const NAMES_MEASURED = 16;
const LONGEST_NAME_MEASURED = 40;

/** The declared names close to `name` (graphql-js's measure for "Did you mean"), a few. */
function nearNames(name: string, names: readonly string[]): string[] {
  const others = names.filter((candidate) => candidate !== name);
  const folded = name.toLowerCase();
  const sameButCase = others.filter((candidate) => candidate.toLowerCase() === folded);
  if (sameButCase.length > 0) return sameButCase.slice(0, NAMES_QUOTED);
  if (name.length > LONGEST_NAME_MEASURED) return [];
  const closestInLength = others.length <= NAMES_MEASURED ? others : [...others].sort((a, b) => Math.abs(a.length - name.length) - Math.abs(b.length - name.length)).slice(0, NAMES_MEASURED);
  return suggestionList(name, closestInLength).slice(0, NAMES_QUOTED);
}

/** The input type each variable of the operation's own selection stands in, found in one walk per operation. */
const usageTypesOf = new WeakMap<OperationDefinitionNode, Map<ASTNode, GraphQLInputType>>();
function usageTypes(schema: GraphQLSchema, operation: OperationDefinitionNode): Map<ASTNode, GraphQLInputType> {
  const known = usageTypesOf.get(operation);
  if (known) return known;
  const types = new Map<ASTNode, GraphQLInputType>();
  const typeInfo = new TypeInfo(schema);
  visit(
    operation,
    visitWithTypeInfo(typeInfo, {
      Variable(node) {
        const type = typeInfo.getInputType();
        if (type) types.set(node, type);
      },
    }),
  );
  usageTypesOf.set(operation, types);
  return types;
}

/**
 * Keys other servers take a persisted operation's id under: `documentId` (the GraphQL over HTTP
 * persisted-documents proposal, graphql-codegen's client preset, GraphQL Yoga and Hive), `doc_id`
 * (Relay), `id` and `queryId` (older persisted-query servers).
 */
export const PERSISTED_ID_KEYS = ["documentId", "doc_id", "id", "queryId"] as const;

/**
 * For a request without a query that names its operation by one of those keys: the shape this
 * gateway takes a persisted operation in (Apollo's), where it was told only that it sent no
 * query. "" when the request names none.
 */
export function persistedIdKeyHint(request: object): string {
  const key = PERSISTED_ID_KEYS.find((name) => Object.hasOwn(request, name));
  if (!key) return "";
  return ` It names its operation by ${JSON.stringify(key)}, which this gateway does not read: send a persisted operation's SHA-256 (64 lowercase hex digits of its exact text) as {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "…"}}}, with its text as "query" when the gateway answers PERSISTED_QUERY_NOT_FOUND.`;
}
