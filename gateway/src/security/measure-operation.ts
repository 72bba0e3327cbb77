import {
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

export interface OperationMeasure {
  /** Deepest field nesting outside introspection (a root field is depth 1). */
  depth: number;
  /** Deepest nesting under `__schema` / `__type`, judged by a limit of its own. */
  introspectionDepth: number;
  /** Fields requested under an alias, counted as often as the operation really asks for them. */
  aliases: number;
  /**
   * Estimated work: every field costs 1, and a paged field multiplies the cost of what it
   * selects by the page size it will run with: its `first`, `last` or `limit` argument as sent,
   * through a variable (its value, else the variable's default), else the schema's default for
   * the argument (`pageDefaults`).
   */
  cost: number;
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
}

/**
 * Page sizes a field runs with when its page-size argument is left out, by field name (the
 * largest default among the fields of that name): see `pageDefaultsOf`.
 */
export type PageDefaults = ReadonlyMap<string, number>;

/**
 * What a list without a page size is counted as: a product's variants, images and options, an
 * order's lines, a facet's buckets. Counted as one, a few levels of them (each level another
 * round of entity fetches between subgraphs: variants -> product -> variants ...) cost seconds
 * of CPU for an operation the cost limit let through.
 */
export const UNPAGED_LIST_SIZE = 5;

/** Lists a paged field already counts (a connection's edges). */
const COUNTED_BY_THEIR_PAGE = new Set(["edges", "nodes"]);

/**
 * The schema's default page sizes: every field with a `first`, `last` or `limit` argument that
 * has a default, and UNPAGED_LIST_SIZE for every other field returning a list.
 */
export function pageDefaultsOf(schema: GraphQLSchema): PageDefaults {
  const defaults = new Map<string, number>();
  const atLeast = (name: string, size: number) => defaults.set(name, Math.max(defaults.get(name) ?? 0, size));
  for (const type of Object.values(schema.getTypeMap())) {
    // Introspection has its own limits (its depth); its lists are the schema's, not data.
    if ((!isObjectType(type) && !isInterfaceType(type)) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const paged = field.args.filter((argument) => PAGE_SIZE_ARGUMENTS.has(argument.name));
      for (const argument of paged) if (typeof argument.defaultValue === "number") atLeast(field.name, argument.defaultValue);
      if (paged.length === 0 && isListType(getNullableType(field.type)) && !COUNTED_BY_THEIR_PAGE.has(field.name)) atLeast(field.name, UNPAGED_LIST_SIZE);
    }
  }
  return defaults;
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

const PAGE_SIZE_ARGUMENTS = new Set(["first", "last", "limit"]);
const INTROSPECTION_ROOTS = new Set(["__schema", "__type"]);

interface Summary {
  depth: number;
  introspectionDepth: number;
  aliases: number;
  cost: number;
  repeats: number;
  /** Field names selected at this level (not below), with how often. */
  rootFields: Map<string, number>;
  /** Response names (alias or field name) at this level, with how often. */
  responseNames: Map<string, number>;
}

const empty = (): Summary => ({ depth: 0, introspectionDepth: 0, aliases: 0, cost: 0, repeats: 0, rootFields: new Map(), responseNames: new Map() });

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
  addCounts(target.rootFields, source.rootFields);
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
  pageDefaults: PageDefaults = new Map(),
): OperationMeasure {
  const variableDefaults = new Map(operation.variableDefinitions?.map((definition) => [definition.variable.name.value, definition.defaultValue]));
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, Summary>();
  const measuring = new Set<string>();

  /** The number a page-size argument will run with, or undefined when the schema's default applies. */
  const sizeOf = (value: ValueNode | undefined): number | undefined => {
    if (value?.kind === Kind.INT) return Number(value.value);
    if (value?.kind !== Kind.VARIABLE) return undefined;
    const given = variables[value.name.value];
    if (given !== undefined) return typeof given === "number" ? given : undefined;
    const fallback = variableDefaults.get(value.name.value);
    return fallback?.kind === Kind.INT ? Number(fallback.value) : undefined;
  };
  const pageSize = (field: string, value: ValueNode | undefined): number => {
    const size = sizeOf(value) ?? pageDefaults.get(field) ?? 1;
    return Math.max(1, Math.min(SATURATED, size));
  };

  const fragmentSummary = (name: string): Summary => {
    const known = measured.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment) throw new UnmeasurableOperationError(`Unknown fragment "${name}"`);
    if (measuring.has(name)) throw new UnmeasurableOperationError(`Fragment "${name}" spreads itself`);
    measuring.add(name);
    const summary = summarize(fragment.selectionSet);
    measuring.delete(name);
    measured.set(name, summary);
    return summary;
  };

  function summarize(selectionSet: SelectionSetNode): Summary {
    const summary = empty();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const child = selection.selectionSet ? summarize(selection.selectionSet) : empty();
        const sizeArgument = selection.arguments?.find((a) => PAGE_SIZE_ARGUMENTS.has(a.name.value));
        const name = selection.name.value;
        const field: Summary = {
          depth: 0,
          introspectionDepth: child.introspectionDepth > 0 ? child.introspectionDepth + 1 : 0,
          aliases: add(selection.alias ? 1 : 0, child.aliases),
          cost: add(1, times(pageSize(name, sizeArgument?.value), child.cost)),
          repeats: Math.max(1, child.repeats),
          rootFields: new Map([[name, 1]]),
          responseNames: new Map([[selection.alias?.value ?? name, 1]]),
        };
        // Introspection nests type references far deeper than data; it has its own limit.
        if (INTROSPECTION_ROOTS.has(name)) field.introspectionDepth = Math.max(field.introspectionDepth, child.depth + 1);
        else field.depth = child.depth + 1;
        mergeInto(summary, field);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        mergeInto(summary, summarize(selection.selectionSet));
      } else {
        mergeInto(summary, fragmentSummary(selection.name.value));
      }
    }
    return summary;
  }

  const { depth, introspectionDepth, aliases, cost, repeats, rootFields } = summarize(operation.selectionSet);
  return { depth, introspectionDepth, aliases, cost, repeats, rootFields };
}
