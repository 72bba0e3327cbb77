import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import { fragmentsOf } from "../execution/document-fragments.js";
import type { ListSizes } from "./list-sizes.js";
import { INTROSPECTION_ROOTS } from "./measure-operation.js";

/** What an executed operation answered: its data, the paths of its errors, and its extensions. */
export interface ExecutedResult {
  data?: unknown;
  errors?: readonly { path?: readonly (string | number)[] }[];
  extensions?: Record<string, unknown>;
}

/**
 * What an operation that has run actually cost, in the unit of its measure (`measureOperation`):
 * every field present in the answer costs 1 plus its declared weight, and a list counts the
 * items it returned instead of its maximum (a connection's edges one each, as the measure counts
 * its page). Walks the operation's selections together with the data, so only what the client
 * selected is counted, each selection on its own response name (an alias is its own field; a
 * field selected twice, directly or through fragments, counts twice, as the measure does), and
 * `__typename` costs 1 like any field. Introspection is priced apart and not counted here.
 *
 * Never less than the work done, and never more than `measured` (what was charged), which
 * bounds the walk: it stops at `measured`, and after a number of selections visited linear in
 * it, so an answer costs at most one pass over what the measure allowed, however its fragments
 * are spread. Where an answer lost work to an error, the full measure stands: a non-null field's
 * error nulls its parent and everything resolved under it (an error whose path runs below a
 * null), and the whole data missing or null (validation, a non-null root field's error).
 */
export function actualOperationCost(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  result: ExecutedResult,
  measured: number,
  sizes?: ListSizes,
): number {
  const { data } = result;
  if (data === null || typeof data !== "object" || Array.isArray(data)) return measured;
  if (result.errors?.some((error) => lostBelowNull(data, error.path))) return measured;
  const fragments = fragmentsOf(document);
  const mostVisits = 2 * measured + 1_000;
  let visits = 0;
  let cost = 0;
  const full = () => cost >= measured || visits > mostVisits;

  function walkObject(selectionSet: SelectionSetNode, parent: string | undefined, value: Record<string, unknown>): void {
    for (const selection of selectionSet.selections) {
      visits += 1;
      if (full()) return;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const key = selection.alias?.value ?? name;
        // Absent: skipped (@skip/@include), or a fragment of another type.
        if (!Object.hasOwn(value, key) || INTROSPECTION_ROOTS.has(name)) continue;
        const shape = parent === undefined ? undefined : sizes?.field(parent, name);
        cost += 1 + (shape?.weight ?? 0);
        if (selection.selectionSet) walkValue(selection.selectionSet, shape?.type, value[key], shape?.sizedByPage === true);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (fragment) walkObject(fragment.selectionSet, fragment.typeCondition?.name.value ?? parent, value);
      }
    }
  }

  function walkValue(selectionSet: SelectionSetNode, type: string | undefined, value: unknown, perItem: boolean): void {
    if (Array.isArray(value)) {
      // A connection's edges: the measure counts the edge itself once per item of the page.
      if (perItem) cost += Math.max(0, value.length - 1);
      for (const item of value) {
        if (full()) return;
        walkValue(selectionSet, type, item, false);
      }
    } else if (value !== null && typeof value === "object") walkObject(selectionSet, type, value as Record<string, unknown>);
  }

  walkObject(operation.selectionSet, sizes?.rootType(operation.operation), data as Record<string, unknown>);
  return full() ? measured : cost;
}

/**
 * Whether an error's path runs below a null (or missing) value: the error was a non-null
 * field's, and graphql nulled its parent, discarding what had been resolved beside it.
 */
function lostBelowNull(data: object, path: readonly (string | number)[] | undefined): boolean {
  if (!path) return false;
  let value: unknown = data;
  for (const step of path) {
    if (value === null || typeof value !== "object") return true;
    value = (value as Record<string | number, unknown>)[step];
  }
  return false;
}
