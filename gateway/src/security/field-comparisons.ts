import { Kind, type DocumentNode, type SelectionSetNode } from "graphql";
import { fragmentsOf } from "../execution/document-fragments.js";
import { saturatingAdd as add, saturatingTimes as times } from "./measure-operation.js";

/**
 * What graphql-js's OverlappingFieldsCanBeMerged rule compares in one selection set, as the rule
 * collects it: its fields, those of its inline fragments (flattened into it) and those of each
 * fragment it spreads (once, however often it is spread there).
 */
interface Level {
  /** Fields at this level and below, each fragment written out where it is spread. */
  nodes: number;
  /** For each response name at this level, the `nodes` of the fields selected under it, summed. */
  named: Map<string, number>;
  /**
   * Pairs compared among this level's fields: two fields of one response name are compared, then
   * every two same-named fields below them, and so on down, so a pair costs at most the product
   * of their `nodes`. A fragment's pairs among its own fields are left to its definition, where
   * the rule compares them once.
   */
  pairs: number;
  /** Pairs compared in the complete selection sets below this level (each is validated too). */
  below: number;
}

const emptyLevel = (): Level => ({ nodes: 0, named: new Map(), pairs: 0, below: 0 });

/**
 * Pairs of fields validation compares in a whole document, at most: every operation's and every
 * fragment's (graphql-js validates each definition, run or not). The rule compares every two
 * fields of one response name, then every two same-named fields of what they select, with no
 * memory of a pair of fields, so its work grows with the square of what such fields select and
 * no other measure bounds it: 3.5 KB of one field selected twice at each of 7 levels is 70,591
 * pairs here. Linear in the document: each fragment is walked once. Fragment cycles and unknown
 * fragments count nothing (the operation's measure refuses them first).
 */
export function documentFieldComparisons(document: DocumentNode): number {
  const fragments = fragmentsOf(document);
  const walked = new Map<string, Level>();
  const walking = new Set<string>();
  /** Each fragment's pairs within itself, compared once at its definition. */
  const withinFragments = new Map<string, number>();

  const fragment = (name: string): Level => {
    const known = walked.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || walking.has(name)) return emptyLevel();
    walking.add(name);
    const level = levelOf(definition.selectionSet);
    walking.delete(name);
    walked.set(name, level);
    withinFragments.set(name, add(level.pairs, level.below));
    return level;
  };

  /** Counts one field (or a fragment's fields of one name) of `nodes` meeting those of its name already at `level`. */
  const meet = (level: Level, name: string, nodes: number) => {
    const met = level.named.get(name) ?? 0;
    level.pairs = add(level.pairs, times(met, nodes));
    level.named.set(name, add(met, nodes));
    level.nodes = add(level.nodes, nodes);
  };

  function levelOf(selectionSet: SelectionSetNode, level = emptyLevel(), spread = new Set<string>()): Level {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const child = selection.selectionSet && levelOf(selection.selectionSet);
        meet(level, selection.alias?.value ?? selection.name.value, add(1, child?.nodes ?? 0));
        if (child) level.below = add(level.below, add(child.pairs, child.below));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        levelOf(selection.selectionSet, level, spread);
      } else if (!spread.has(selection.name.value)) {
        // The rule compares a fragment with a selection once, and never with itself.
        spread.add(selection.name.value);
        for (const [name, nodes] of fragment(selection.name.value).named) meet(level, name, nodes);
      }
    }
    return level;
  }

  let pairs = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      const level = levelOf(definition.selectionSet);
      pairs = add(pairs, add(level.pairs, level.below));
    } else if (definition.kind === Kind.FRAGMENT_DEFINITION) fragment(definition.name.value);
  }
  for (const within of withinFragments.values()) pairs = add(pairs, within);
  return pairs;
}
