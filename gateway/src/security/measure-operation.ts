import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from "graphql";

export interface OperationMeasure {
  /** Deepest field nesting (a root field is depth 1). */
  depth: number;
  /** Fields requested under an alias: the usual way to multiply work in one request. */
  aliases: number;
  /**
   * Estimated work: every field costs 1, and a field with a `first` argument multiplies the
   * cost of what it selects by that page size (variables resolved), as a list would.
   */
  cost: number;
  /** Names of the root fields, for per-operation budgets. */
  rootFields: string[];
}

/** Measures the operation a request will run, following fragments (each cycle counted once). */
export function measureOperation(document: DocumentNode, operationName: string | undefined | null, variables: Record<string, unknown> = {}): OperationMeasure | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return undefined;

  let aliases = 0;
  const pageSize = (value: ValueNode | undefined): number => {
    if (!value) return 1;
    if (value.kind === Kind.INT) return Math.max(1, Number(value.value));
    if (value.kind === Kind.VARIABLE) {
      const given = variables[value.name.value];
      return typeof given === "number" && given > 0 ? given : 1;
    }
    return 1;
  };

  const walk = (selectionSet: SelectionSetNode, level: number, visiting: Set<string>): { depth: number; cost: number } => {
    let depth = level;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases += 1;
        const multiplier = pageSize(selection.arguments?.find((a) => a.name.value === "first")?.value);
        const child = selection.selectionSet ? walk(selection.selectionSet, level + 1, visiting) : { depth: level, cost: 0 };
        depth = Math.max(depth, child.depth);
        cost += 1 + multiplier * child.cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const child = walk(selection.selectionSet, level, visiting);
        depth = Math.max(depth, child.depth);
        cost += child.cost;
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        visiting.add(name);
        const child = walk(fragment.selectionSet, level, visiting);
        visiting.delete(name);
        depth = Math.max(depth, child.depth);
        cost += child.cost;
      }
    }
    return { depth, cost };
  };

  const { depth, cost } = walk(operation.selectionSet, 1, new Set());
  const rootFields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  return { depth, aliases, cost, rootFields };
}
