import { getOperationAST, Kind, type DocumentNode, type SelectionSetNode } from "graphql";
import { fragmentsOf } from "./document-fragments.js";

/**
 * Whether the operation `operationName` picks from `document` is a query that reads nothing
 * but the schema: every root field, through inline and named fragments, is `__schema`,
 * `__type` or `__typename`. Such an operation asks no subgraph, so it needs no query plan.
 * A document that is not one valid choice of operation answers false (the planner's path
 * reports what is wrong with it).
 */
export function answeredByIntrospection(document: DocumentNode, operationName: string | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== "query") return false;
  const fragments = fragmentsOf(document);
  const visited = new Set<string>();
  const onlyMeta = (selectionSet: SelectionSetNode): boolean =>
    selectionSet.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value.startsWith("__");
      if (selection.kind === Kind.INLINE_FRAGMENT) return onlyMeta(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      if (!fragment) return false;
      // Validation refused fragment cycles already; a fragment spread twice is read once.
      if (visited.has(fragment.name.value)) return true;
      visited.add(fragment.name.value);
      return onlyMeta(fragment.selectionSet);
    });
  return onlyMeta(operation.selectionSet);
}
