import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";
import { fragmentsOf } from "../execution/document-fragments.js";
import type { CrowdedPlace } from "./measure-operation.js";

/**
 * The field a refusal of a crowded selection points at: the first aliased field of the place,
 * or the first selecting its repeated response name. The measure found the place; this looks
 * only through that one selection set, and the inline fragments and fragments spread in it
 * (each fragment once), not below it.
 */
export function firstCrowding(document: DocumentNode, place: CrowdedPlace): FieldNode | undefined {
  const fragments = fragmentsOf(document);
  const seen = new Set<string>();
  // Depth first, in document order: the selections of a spread come before those after it.
  const stack: { set: SelectionSetNode; index: number }[] = [{ set: place.selectionSet, index: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const selection = top.set.selections[top.index++];
    if (!selection) {
      stack.pop();
      continue;
    }
    if (selection.kind === Kind.FIELD) {
      const crowding = place.name === undefined ? selection.alias !== undefined : (selection.alias?.value ?? selection.name.value) === place.name;
      if (crowding) return selection;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) stack.push({ set: selection.selectionSet, index: 0 });
    else {
      const fragment: FragmentDefinitionNode | undefined = fragments.get(selection.name.value);
      if (fragment && !seen.has(fragment.name.value)) {
        seen.add(fragment.name.value);
        stack.push({ set: fragment.selectionSet, index: 0 });
      }
    }
  }
  return undefined;
}
