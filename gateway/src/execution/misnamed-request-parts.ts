import type { OperationDefinitionNode, VariableDefinitionNode } from "graphql";

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

const quoted = (name: string): string => JSON.stringify(name.length > NAME_CHARACTERS ? `${name.slice(0, NAME_CHARACTERS)}…` : name);

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
