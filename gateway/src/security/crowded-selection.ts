import { Kind, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import { fragmentsOf } from "../execution/document-fragments.js";

/** What one selection set holds, fragments spread in, and the response path it was first reached by. */
interface Selection {
  path: string;
  aliases: number;
  /** The first aliased field met in it. */
  firstAlias?: FieldNode;
  /** Each response name selected in it: how often, and the first field selecting it. */
  names: Map<string, { count: number; first: FieldNode }>;
}

/**
 * Selections by the field that holds them (HERE: the selection set walked), paths relative to
 * it. Keyed by node, not by path: a document has as many as it has fields, while the paths a
 * fragment spread under many fields reaches multiply level by level.
 */
const HERE = Symbol("here");
type Selections = Map<FieldNode | typeof HERE, Selection>;

/** A crowded place of an operation: the response path of a selection (`""` the root), and a field there to point at. */
export interface CrowdedPlace {
  path: string;
  count: number;
  node: FieldNode;
  /** For repeats: the response name selected `count` times. */
  name?: string;
}

const SATURATED = 1e12;
const joined = (prefix: string, path: string) => (prefix === "" ? path : path === "" ? prefix : `${prefix}.${path}`);

/**
 * Where an operation's aliases and repeated response names are: its selection sets, counted
 * as the measure counts them (each spread of a fragment counts its fields again).
 * Each fragment is walked once and its selections merged at every spread, so a fragment bomb
 * costs its text, not its expansion; a spread cycle (refused earlier, by the measure) ends at
 * the repeat. For refusals only: they name the selection to thin out and where it is.
 */
function selectionsOf(document: DocumentNode, operation: OperationDefinitionNode, countNames: boolean): Selections {
  const fragments = fragmentsOf(document);
  const walked = new Map<string, Selections>();
  const walking = new Set<string>();

  /** Merges what was walked under `owner` (HERE: spread in place) into `target`, its paths under `prefix`. */
  const mergeInto = (target: Selections, source: Selections, owner: FieldNode | typeof HERE, prefix: string) => {
    for (const [node, selection] of source) {
      const key = node === HERE ? owner : node;
      const into: Selection = target.get(key) ?? { path: joined(prefix, selection.path), aliases: 0, names: new Map() };
      into.aliases = Math.min(SATURATED, into.aliases + selection.aliases);
      into.firstAlias ??= selection.firstAlias;
      for (const [name, seen] of selection.names) {
        const known = into.names.get(name);
        into.names.set(name, { count: Math.min(SATURATED, (known?.count ?? 0) + seen.count), first: known?.first ?? seen.first });
      }
      target.set(key, into);
    }
  };

  /** Walks a selection set into `target` as the selection of `owner`, reached at `path`. */
  const walkInto = (target: Selections, selectionSet: SelectionSetNode, owner: FieldNode | typeof HERE, path: string): void => {
    let own = target.get(owner);
    if (!own) target.set(owner, (own = { path, aliases: 0, names: new Map() }));
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.alias?.value ?? selection.name.value;
        if (selection.alias) {
          own.aliases = Math.min(SATURATED, own.aliases + 1);
          own.firstAlias ??= selection;
        }
        if (countNames) {
          const known = own.names.get(name);
          own.names.set(name, { count: Math.min(SATURATED, (known?.count ?? 0) + 1), first: known?.first ?? selection });
        }
        if (selection.selectionSet) walkInto(target, selection.selectionSet, selection, joined(path, name));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) walkInto(target, selection.selectionSet, owner, path);
      else {
        const name = selection.name.value;
        let spread = walked.get(name);
        if (!spread && !walking.has(name) && fragments.has(name)) {
          walking.add(name);
          spread = new Map();
          walkInto(spread, fragments.get(name)!.selectionSet, HERE, "");
          walking.delete(name);
          walked.set(name, spread);
        }
        if (spread) mergeInto(target, spread, owner, path);
      }
    }
  };

  const selections: Selections = new Map();
  walkInto(selections, operation.selectionSet, HERE, "");
  return selections;
}

/** The selection holding the most aliased fields, and its first aliased field. */
export function mostAliased(document: DocumentNode, operation: OperationDefinitionNode): CrowdedPlace | undefined {
  let best: CrowdedPlace | undefined;
  for (const selection of selectionsOf(document, operation, false).values()) {
    if (selection.firstAlias && (!best || selection.aliases > best.count)) best = { path: selection.path, count: selection.aliases, node: selection.firstAlias };
  }
  return best;
}

/** The response name selected most often in one selection, and the first field selecting it. */
export function mostRepeated(document: DocumentNode, operation: OperationDefinitionNode): CrowdedPlace | undefined {
  let best: CrowdedPlace | undefined;
  for (const selection of selectionsOf(document, operation, true).values()) {
    for (const [name, seen] of selection.names) if (!best || seen.count > best.count) best = { path: selection.path, count: seen.count, node: seen.first, name };
  }
  return best;
}
