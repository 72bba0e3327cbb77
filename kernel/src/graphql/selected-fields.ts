import { Kind, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";

/**
 * The fields of selection sets, inline and named fragments spread in place (each named one
 * once). Aliases are kept on the nodes; callers judge by `name`. `@skip`/`@include` are not
 * evaluated, so a field under either counts as selected. A fragment the document does not
 * define cannot be judged: it comes back as a field named `...Name`, which no real field is.
 */
export function selectedFields(sets: readonly (SelectionSetNode | undefined)[], fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const spread = new Set<string>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value);
        const fragment = fragments[selection.name.value];
        if (!fragment) fields.push({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: `...${selection.name.value}` } });
        else visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return fields;
}

/** Whether a field name stands for a fragment `selectedFields` could not look into. */
export const isUnjudgedFragment = (name: string): boolean => name.startsWith("...");
