import {
  Kind,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { fragmentsOf } from "../execution/document-fragments.js";
import type { FieldSize, ListSizes } from "./list-sizes.js";

export interface OperationMeasure {
  /** Deepest field nesting outside introspection (a root field is depth 1). */
  depth: number;
  /** Deepest nesting under `__schema` / `__type`, judged by a limit of its own. */
  introspectionDepth: number;
  /** Fields requested under an alias, counted as often as the operation really asks for them. */
  aliases: number;
  /**
   * Estimated work: every field costs 1 plus its declared `@cost` weight (work its resolution
   * does that the selection does not show), and a list multiplies the cost of what it selects by
   * the items it returns at most (`ListSizes`): a paged field by the page size it will run
   * with (its page argument as sent, through a variable: its value, else the variable's
   * default; else the schema's default), any other list by its declared size.
   */
  cost: number;
  /**
   * The same for what `__schema` and `__type` select, priced by what this schema's
   * introspection returns: judged by a limit of its own, since reading the whole schema once
   * (what an explorer does) costs more than any storefront operation.
   */
  introspectionCost: number;
  /**
   * The most times one response name is selected in one selection set, through fragments:
   * validation (overlapping fields) and query planning compare such fields pairwise.
   */
  repeats: number;
  /**
   * How many times each root field runs, through aliases, inline fragments and fragment
   * spreads at the root: what per-field budgets are charged by.
   */
  rootFields: ReadonlyMap<string, number>;
  /**
   * The list that makes most of the cost (with all it selects, each time it runs), for a
   * refusal to name what to ask fewer of. Undefined when nothing repeats.
   */
  costliestList?: CostliestList;
  /**
   * The selection holding the most aliased fields, and the one selecting one response name most
   * often: found by this same walk, for a refusal to name what to thin out and where.
   */
  mostAliased?: CrowdedPlace;
  mostRepeated?: CrowdedPlace;
}

/**
 * A crowded selection of the operation: its response path (`""` the root), how many aliased
 * fields (or selections of `name`) it holds, counted as the measure counts (each spread of a
 * fragment counts its fields again), and the selection set it starts in (its fields may also
 * come from fragments spread there).
 */
export interface CrowdedPlace {
  path: string;
  count: number;
  selectionSet: SelectionSetNode;
  /** For repeats: the response name selected `count` times. */
  name?: string;
}

/** One list field of the operation and what it costs with everything it selects, each time it runs. */
export interface CostliestList {
  /** Its schema coordinate, `Type.field` (`Query.products`, `User.orders`), or the bare field name measured without a schema. */
  coordinate: string;
  /** The page-size argument it runs with and its value, when the client sent one. */
  argument?: { name: string; value: number };
  /** Its page-size arguments, sent or not (none for a list of a declared size). */
  pageArguments: readonly string[];
  /** Items it returns at most. */
  items: number;
  cost: number;
  /**
   * What each of its items adds to `cost`: a page smaller by one item costs this much less each
   * time the list runs, so a refusal can say which page fits (or that one item alone does not).
   */
  itemCost: number;
  /** The costliest list among what one of its items selects, to name when one item is too costly. */
  inner?: CostliestList;
  /** Where it is in the document (a location only when the document was parsed with them). */
  node: FieldNode;
}

/** The document is not measurable as sent (a graphql validation rule would refuse it too). */
export class UnmeasurableOperationError extends Error {}

/**
 * Counts beyond this are all "too much": saturating keeps the arithmetic exact below every
 * limit and finite above them, however the fragments multiply.
 */
const SATURATED = 1e12;
const add = (a: number, b: number) => Math.min(SATURATED, a + b);
const times = (a: number, b: number) => Math.min(SATURATED, a * b);
/** The saturating sum and product, for other measures of a document to count as this one does. */
export { add as saturatingAdd, times as saturatingTimes };

const PAGE_SIZE_ARGUMENTS = new Set(["first", "last", "limit"]);
/** Introspection root fields: priced by a measure of their own (introspectionCost), not by cost. */
export const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(["__schema", "__type"]);

interface Summary {
  depth: number;
  introspectionDepth: number;
  aliases: number;
  cost: number;
  /** The cost of this level's lists sized by the page of the field above (a connection's edges). */
  pagedCost: number;
  introspectionCost: number;
  repeats: number;
  /** Field names selected at this level (not below), with how often. */
  rootFields: Map<string, number>;
  /** Response names (alias or field name) at this level, with how often. */
  responseNames: Map<string, number>;
  /** The costliest list at or below this level. */
  costliestList?: CostliestList;
  /** Aliased fields at this level (not below), fragments spread here included. */
  levelAliases: number;
  /** The most aliased and most repeated selections below this level, their paths from it. */
  aliased?: Place;
  repeated?: Place;
}

/** A CrowdedPlace whose path is built as it is found: response names, the outermost first. */
interface Place {
  path?: PathLink;
  count: number;
  selectionSet: SelectionSetNode;
  name?: string;
}

interface PathLink {
  name: string;
  rest?: PathLink;
}

const empty = (): Summary => ({ depth: 0, introspectionDepth: 0, aliases: 0, cost: 0, pagedCost: 0, introspectionCost: 0, repeats: 0, rootFields: new Map(), responseNames: new Map(), levelAliases: 0 });

const costlier = (a: CostliestList | undefined, b: CostliestList | undefined) => (!a || (b && b.cost > a.cost) ? b : a);
/** The more crowded place; the one met first on a tie. */
const busier = (a: Place | undefined, b: Place | undefined) => (!a || (b && b.count > a.count) ? b : a);
const under = (name: string, place: Place | undefined): Place | undefined => place && { ...place, path: { name, rest: place.path } };

/** The places of one complete selection set (`summary` of it, reached at `path`): its own and those below it. */
function placesOf(summary: Summary, selectionSet: SelectionSetNode, path: PathLink | undefined): { aliased?: Place; repeated?: Place } {
  let repeated: Place | undefined;
  for (const [name, count] of summary.responseNames) if (!repeated || count > repeated.count) repeated = { path, count, selectionSet, name };
  const aliased: Place | undefined = summary.levelAliases > 0 ? { path, count: summary.levelAliases, selectionSet } : undefined;
  const below = (place: Place | undefined) => (path ? under(path.name, place) : place);
  return { aliased: busier(aliased, below(summary.aliased)), repeated: busier(repeated, below(summary.repeated)) };
}

function crowdedPlace(place: Place | undefined): CrowdedPlace | undefined {
  if (!place) return undefined;
  const names: string[] = [];
  for (let link = place.path; link; link = link.rest) names.push(link.name);
  return { path: names.join("."), count: place.count, selectionSet: place.selectionSet, ...(place.name !== undefined ? { name: place.name } : {}) };
}

function addCounts(target: Map<string, number>, source: Map<string, number>): number {
  let most = 0;
  for (const [name, count] of source) {
    const total = add(target.get(name) ?? 0, count);
    target.set(name, total);
    most = Math.max(most, total);
  }
  return most;
}

function mergeInto(target: Summary, source: Summary): void {
  target.depth = Math.max(target.depth, source.depth);
  target.introspectionDepth = Math.max(target.introspectionDepth, source.introspectionDepth);
  target.aliases = add(target.aliases, source.aliases);
  target.cost = add(target.cost, source.cost);
  target.pagedCost = add(target.pagedCost, source.pagedCost);
  target.introspectionCost = add(target.introspectionCost, source.introspectionCost);
  addCounts(target.rootFields, source.rootFields);
  target.costliestList = costlier(target.costliestList, source.costliestList);
  target.levelAliases = add(target.levelAliases, source.levelAliases);
  target.aliased = busier(target.aliased, source.aliased);
  target.repeated = busier(target.repeated, source.repeated);
  target.repeats = Math.max(target.repeats, source.repeats, addCounts(target.responseNames, source.responseNames));
}

/**
 * Measures the operation a request will run. Linear in the document: each fragment is
 * measured once and its summary reused wherever it is spread, so a document whose
 * fragments spread each other twice per level (a "fragment bomb", exponential when
 * expanded) costs no more to measure than to read, and its exponential figures come out
 * as numbers for the limits to refuse. Fragment cycles and unknown fragments are refused.
 */
export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
  sizes?: ListSizes,
): OperationMeasure {
  const variableDefaults = new Map(operation.variableDefinitions?.map((definition) => [definition.variable.name.value, definition.defaultValue]));
  const { summarize } = measurer(document, variableDefaults, variables, sizes);
  const root = summarize(operation.selectionSet, sizes?.rootType(operation.operation));
  const { depth, introspectionDepth, aliases, cost, pagedCost, introspectionCost, repeats, rootFields, costliestList } = root;
  const places = placesOf(root, operation.selectionSet, undefined);
  const [mostAliased, mostRepeated] = [crowdedPlace(places.aliased), crowdedPlace(places.repeated)];
  return {
    depth,
    introspectionDepth,
    aliases,
    cost: add(cost, pagedCost),
    introspectionCost,
    repeats,
    rootFields,
    ...(costliestList ? { costliestList } : {}),
    ...(mostAliased ? { mostAliased } : {}),
    ...(mostRepeated ? { mostRepeated } : {}),
  };
}

/** What a document's shape comes to over every definition it holds, operations and fragments alike. */
export interface DocumentShape {
  depth: number;
  aliases: number;
  repeats: number;
}

/**
 * The deepest, most aliased and most repeated of every operation and fragment of a document,
 * not only the one a request runs: validation walks them all (and compares same-named fields
 * pairwise), so an operation left unchosen, or a fragment nothing spreads, had its 900
 * repeated fields validated at no limit. One pass, each fragment measured once.
 */
export function measureDocumentShape(document: DocumentNode): DocumentShape {
  const { summarize, fragmentSummary } = measurer(document, new Map(), {}, undefined);
  const shape: DocumentShape = { depth: 0, aliases: 0, repeats: 0 };
  for (const definition of document.definitions) {
    const summary =
      definition.kind === Kind.OPERATION_DEFINITION ? summarize(definition.selectionSet, undefined) : definition.kind === Kind.FRAGMENT_DEFINITION ? fragmentSummary(definition.name.value, 1) : undefined;
    if (!summary) continue;
    // A fragment on an introspection type is read under __schema or __type, whose depth has a
    // limit of its own (the measure of an operation spreading it applies it).
    const introspective = definition.kind === Kind.FRAGMENT_DEFINITION && definition.typeCondition.name.value.startsWith("__");
    if (!introspective) shape.depth = Math.max(shape.depth, summary.depth);
    shape.aliases = Math.max(shape.aliases, summary.aliases);
    shape.repeats = Math.max(shape.repeats, summary.repeats);
  }
  return shape;
}

/** A value as a GraphQL Int (32-bit signed), or undefined when no Int holds it. */
const asInt = (value: unknown): number | undefined => (Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1 ? (value as number) : undefined);

/** The walk of one document's selections, for one operation's variables and the schema's sizes. */
function measurer(document: DocumentNode, variableDefaults: ReadonlyMap<string, ValueNode | undefined>, variables: Record<string, unknown>, sizes: ListSizes | undefined) {
  const fragments = fragmentsOf(document);
  const measured = new Map<string, Summary>();
  const measuring = new Set<string>();

  /**
   * The number a page-size argument will run with, or undefined when the schema's default
   * applies. A value no GraphQL Int holds (1e400, 2.5, past 2^31) never runs: validation or
   * variable coercion refuses it with the client's mistake (GRAPHQL_VALIDATION_FAILED,
   * BAD_USER_INPUT), which pricing it first turned into QUERY_TOO_COMPLEX for "first: Infinity".
   */
  const sizeOf = (value: ValueNode | undefined): number | undefined => {
    if (value?.kind === Kind.INT) return asInt(Number(value.value));
    if (value?.kind !== Kind.VARIABLE) return undefined;
    const given = variables[value.name.value];
    if (given !== undefined) return asInt(given);
    const fallback = variableDefaults.get(value.name.value);
    return fallback?.kind === Kind.INT ? asInt(Number(fallback.value)) : undefined;
  };
  /**
   * Items the field returns at most: its page as it will run, else its declared size, else one;
   * with the page-size argument the client sent that sets it, if any.
   */
  const itemsOf = (selection: FieldNode, shape: FieldSize | undefined): { items: number; argument?: { name: string; value: number } } => {
    let items: number;
    let argument: { name: string; value: number } | undefined;
    const pageArguments = shape?.pages ?? (shape ? new Map<string, number>() : new Map([...PAGE_SIZE_ARGUMENTS].map((name) => [name, 1])));
    if (shape && !shape.pages) items = shape.items;
    else {
      // Measured without a schema (tests, tools), a page size sent is all there is to go by.
      items = 0;
      for (const [name, fallback] of pageArguments) {
        const sent = sizeOf(selection.arguments?.find((a) => a.name.value === name)?.value);
        if (sent !== undefined && (!argument || sent > argument.value)) argument = { name, value: sent };
        items = Math.max(items, sent ?? fallback);
      }
    }
    return { items: Math.max(1, Math.min(SATURATED, items)), ...(argument && argument.value >= items ? { argument } : {}) };
  };
  const shapeOf = (parent: string | undefined, name: string): FieldSize | undefined => {
    if (name === "__schema") return { type: "__Schema", items: 1 };
    if (name === "__type") return { type: "__Type", items: 1 };
    return parent === undefined ? undefined : sizes?.field(parent, name);
  };

  /**
   * A fragment is measured once for each tree walk it is spread in (`walked`: see summarize):
   * a walk's figure takes few values (products of the lists' sizes, at most the tree's total).
   */
  const fragmentSummary = (name: string, walked: number): Summary => {
    const key = walked === 1 ? name : `${name}@${walked}`;
    const known = measured.get(key);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment) throw new UnmeasurableOperationError(`Unknown fragment "${name}"`);
    if (measuring.has(name)) throw new UnmeasurableOperationError(`Fragment "${name}" spreads itself`);
    measuring.add(name);
    // A fragment is measured on its own type condition, so one summary serves every spread.
    const summary = summarize(fragment.selectionSet, fragment.typeCondition.name.value, walked);
    measuring.delete(name);
    measured.set(key, summary);
    return summary;
  };

  /**
   * `walked`: when this selection set selects the items of a tree's list (`treeTotal`), how many
   * such items one walk down the tree has reached at this level (the product of the tree lists'
   * sizes above, within that total); 1 elsewhere. Any other field starts afresh below it: the
   * nodes reached through it (a breadcrumb, a parent) are not the walk's own.
   */
  function summarize(selectionSet: SelectionSetNode, parent: string | undefined, walked = 1): Summary {
    const summary = empty();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const shape = shapeOf(parent, name);
        const sized = itemsOf(selection, shape);
        const tree = shape?.treeTotal;
        const items = tree === undefined ? sized.items : Math.min(sized.items, Math.max(1, Math.floor(tree / walked)));
        const argument = sized.argument;
        const child = selection.selectionSet ? summarize(selection.selectionSet, shape?.type, tree === undefined ? 1 : walked * items) : empty();
        // The field itself, and the work its resolution does that the selection does not show.
        const own = 1 + (shape?.weight ?? 0);
        const field: Summary = {
          depth: 0,
          introspectionDepth: child.introspectionDepth > 0 ? child.introspectionDepth + 1 : 0,
          aliases: add(selection.alias ? 1 : 0, child.aliases),
          cost: shape?.pagesSizedFields ? add(add(own, child.cost), times(items, child.pagedCost)) : add(own, times(items, add(child.cost, child.pagedCost))),
          pagedCost: 0,
          introspectionCost: times(items, child.introspectionCost),
          repeats: Math.max(1, child.repeats),
          rootFields: new Map([[name, 1]]),
          responseNames: new Map([[selection.alias?.value ?? name, 1]]),
          levelAliases: selection.alias ? 1 : 0,
        };
        if (selection.selectionSet) Object.assign(field, placesOf(child, selection.selectionSet, { name: selection.alias?.value ?? name }));
        // Introspection nests type references far deeper than data, and reading the schema
        // once costs more than any data operation: it has limits of its own.
        if (INTROSPECTION_ROOTS.has(name)) {
          field.introspectionDepth = Math.max(field.introspectionDepth, child.depth + 1);
          field.introspectionCost = add(field.introspectionCost, field.cost);
          field.cost = 0;
        } else field.depth = child.depth + 1;
        if (shape?.sizedByPage) [field.pagedCost, field.cost] = [field.cost, 0];
        // Introspection's lists are priced apart (introspectionCost), never named for the cost;
        // a connection's edges are sized by the page above them, the field with the page is named.
        if (INTROSPECTION_ROOTS.has(name)) field.costliestList = undefined;
        else if ((items > 1 || argument) && !shape?.sizedByPage) {
          const list: CostliestList = {
            coordinate: parent === undefined ? name : `${parent}.${name}`,
            items,
            cost: add(field.cost, field.pagedCost),
            itemCost: shape?.pagesSizedFields ? child.pagedCost : add(child.cost, child.pagedCost),
            node: selection,
            pageArguments: [...(shape?.pages?.keys() ?? [])],
            ...(argument ? { argument } : {}),
            ...(child.costliestList ? { inner: child.costliestList } : {}),
          };
          field.costliestList = costlier(child.costliestList, list);
        } else field.costliestList = child.costliestList;
        mergeInto(summary, field);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        mergeInto(summary, summarize(selection.selectionSet, selection.typeCondition?.name.value ?? parent, walked));
      } else {
        mergeInto(summary, fragmentSummary(selection.name.value, walked));
      }
    }
    return summary;
  }

  return { summarize, fragmentSummary };
}
