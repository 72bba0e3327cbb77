import type { FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";
import { selectedFields as fieldsOf } from "#kernel";
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
