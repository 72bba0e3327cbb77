import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { SelectionAllowance } from "./listing-card.js";

/**
 * Whether a connection field's selection asks, of each listed product (`edges { node { … } }`),
 * only for what `allowed` allows, looking through aliases (the field's name counts, not its
 * alias), inline fragments and named fragments. `@skip`/`@include` are not evaluated: a field
 * under either counts as asked for, so the answer errs towards reading the products.
 */
export function asksOnlyFor(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">, allowed: SelectionAllowance): boolean {
  const within = (sets: readonly (SelectionSetNode | undefined)[], name: string) =>
    fieldsOf(sets, info.fragments).flatMap((field) => (field.name.value === name ? [field.selectionSet] : []));
  return allows(within(within(info.fieldNodes.map((field) => field.selectionSet), "edges"), "node"), allowed, info.fragments);
}

function allows(sets: readonly (SelectionSetNode | undefined)[], allowed: SelectionAllowance, fragments: Record<string, FragmentDefinitionNode>): boolean {
  const fields = fieldsOf(sets, fragments);
  return fields.every((field) => {
    const beneath = allowed.get(field.name.value);
    if (beneath === undefined) return false;
    return beneath === true || allows([field.selectionSet], beneath, fragments);
  });
}

/** The fields of selection sets, fragments spread in place. */
function fieldsOf(sets: readonly (SelectionSetNode | undefined)[], fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const spread = new Set<string>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value);
        const fragment = fragments[selection.name.value];
        // A fragment the document does not define cannot be judged: ask for everything.
        if (!fragment) fields.push({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: `...${selection.name.value}` } });
        else visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return fields;
}
