import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";

import { INTROSPECTION_ROOTS } from "./measure-operation.js";

/** The field that makes an operation as deep as it is, and the fields leading to it. */
export interface DeepestField {
  node: FieldNode;
  /** Response names from the root down to it, `me.orders.edges.node`. */
  path: string;
}

interface Reach {
  depth: number;
  chain: FieldNode[];
}

/**
 * Finds the deepest field of an operation, looking through inline fragments and fragment
 * spreads, for a depth refusal to point at. Each fragment is walked once (its deepest chain is
 * kept), so a text that spreads one fragment many times costs one walk of it; a spread cycle
 * (refused earlier, by the measure) ends the walk at the repeat.
 */
export function deepestField(document: DocumentNode, operation: OperationDefinitionNode): DeepestField | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const walked = new Map<string, Reach>();
  const walking = new Set<string>();

  const deepestOf = (selectionSet: SelectionSetNode): Reach => {
    let best: Reach = { depth: 0, chain: [] };
    const consider = (reach: Reach) => {
      if (reach.depth > best.depth) best = reach;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        // Introspection has a depth limit of its own; the operation's depth leaves it out.
        if (INTROSPECTION_ROOTS.has(selection.name.value)) continue;
        const below = selection.selectionSet ? deepestOf(selection.selectionSet) : { depth: 0, chain: [] };
        consider({ depth: below.depth + 1, chain: [selection, ...below.chain] });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) consider(deepestOf(selection.selectionSet));
      else {
        const name = selection.name.value;
        const known = walked.get(name);
        if (known) consider(known);
        else if (!walking.has(name) && fragments.has(name)) {
          walking.add(name);
          const reach = deepestOf(fragments.get(name)!.selectionSet);
          walking.delete(name);
          walked.set(name, reach);
          consider(reach);
        }
      }
    }
    return best;
  };

  const { chain } = deepestOf(operation.selectionSet);
  const node = chain.at(-1);
  return node && { node, path: chain.map((field) => field.alias?.value ?? field.name.value).join(".") };
}
