import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type GraphQLField,
  type GraphQLSchema,
  type OperationTypeNode,
} from "graphql";

/**
 * How many items each list of the API returns at most, as the subgraphs declare it with the
 * IBM cost directive spec's `@listSize` (composed into the supergraph by Federation 2.9+):
 * - `@listSize(assumedSize: N)` on a list without pages: N is its real maximum, enforced where
 *   the data is written (a cart's lines, a product's variants, an order's returns);
 * - `@listSize(slicingArguments: ["first"])` on a paged field: it returns as many as the page
 *   it runs with, the argument as sent or its default; `sizedFields: ["edges"]` names the
 *   lists of the returned connection that page counts.
 * A list with none of these has no size the measure could trust: `listSizesOf` refuses the
 * schema (the gateway does not start), so a new list is never silently counted as one item.
 * Likewise a field resolved with `@requires` must declare `@cost(weight: N)`, what fetching
 * the fields it requires costs (`Product.stock` fetches the product's variants): the client's
 * selection does not show that work.
 */
/**
 * Characters of text a cost point stands for. A field counts 1 whatever it holds, which prices
 * names and prices (a few words) right; a text field that may hold more declares
 * `@cost(weight: N)` of its maximum over this, so an answer's size is bounded by its measure:
 * a 540-byte query of 29 aliased descriptions of 100 products, each at its 5,000 characters,
 * measured 3,101 and answered 14.5 MB (450 ms of CPU; ten at once took the process from 325 MB
 * to 1 GB).
 */
export const CHARACTERS_PER_COST_POINT = 200;

export interface FieldSize {
  /** The named type the field returns (where the measure goes on below it). */
  type: string;
  /** Items it returns at most when it has no page: its declared size, 1 for a single value. */
  items: number;
  /** Its page-size arguments, each with the size it runs with when left out. */
  pages?: ReadonlyMap<string, number>;
  /**
   * Its page sizes only the lists named by its `sizedFields` (a connection's edges), not the
   * rest of what it returns (a total, facets), which is there once whatever the page.
   */
  pagesSizedFields?: boolean;
  /** A list whose items are the page of the field that returned its type (a connection's edges). */
  sizedByPage?: boolean;
  /**
   * What resolving the field costs beyond its own 1, once per run whatever it returns: its
   * `@cost(weight: N)`, declared where resolving it does work the selection does not show (a
   * `@requires` field, for which the gateway first fetches the required fields), or where it
   * may hold far more text than a field's usual few words (a point per CHARACTERS_PER_COST_POINT).
   */
  weight?: number;
  /**
   * The nodes of a tree this list walks hold at most this many (its `@treeSize(total: N)`, the
   * roots and each node's children): however many levels of it a query selects, one walk down
   * it returns at most N items a level, where the lists' own sizes multiply past that.
   */
  treeTotal?: number;
}

export interface ListSizes {
  /** The type an operation of this kind starts from. */
  rootType(kind: OperationTypeNode): string | undefined;
  /** What one field returns, or undefined for a field the schema does not have (validation refuses it). */
  field(type: string, field: string): FieldSize | undefined;
}

/** A field of the API whose cost nothing declares: a list without a size, a `@requires` field without a weight. */
export interface UndeclaredList {
  type: string;
  field: string;
}

const named = (fields: readonly UndeclaredList[]) => fields.map((l) => `${l.type}.${l.field}`).join(", ");

/** The schema holds fields the measure could not price: the gateway refuses to start on it. */
export class UndeclaredCostError extends Error {
  constructor(
    readonly lists: readonly UndeclaredList[],
    readonly unweighted: readonly UndeclaredList[] = [],
  ) {
    super(
      [
        lists.length > 0 ? `Lists without a declared size (@listSize(assumedSize: N), or a page through slicingArguments): ${named(lists)}` : "",
        unweighted.length > 0 ? `Fields with @requires without a declared weight (@cost(weight: N), what fetching the required fields costs): ${named(unweighted)}` : "",
      ]
        .filter(Boolean)
        .join("; "),
    );
  }
}

interface ListSizeDirective {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

/** The field's `@listSize` as written in the SDL it was built from (the supergraph keeps it). */
function listSizeOf(field: GraphQLField<unknown, unknown> | undefined): ListSizeDirective | undefined {
  const directive = field?.astNode?.directives?.find((d) => d.name.value === "listSize");
  if (!directive) return undefined;
  const value: Record<string, unknown> = {};
  for (const argument of directive.arguments ?? []) value[argument.name.value] = valueFromASTUntyped(argument.value);
  return {
    assumedSize: typeof value.assumedSize === "number" ? value.assumedSize : undefined,
    slicingArguments: Array.isArray(value.slicingArguments) ? value.slicingArguments.filter((a): a is string => typeof a === "string") : undefined,
    sizedFields: Array.isArray(value.sizedFields) ? value.sizedFields.filter((a): a is string => typeof a === "string") : undefined,
  };
}

/** The field's `@cost(weight: N)`, if declared. */
function weightOf(field: GraphQLField<unknown, unknown> | undefined): number | undefined {
  const weight = field?.astNode?.directives?.find((d) => d.name.value === "cost")?.arguments?.find((a) => a.name.value === "weight")?.value;
  return weight?.kind === Kind.INT ? Number(weight.value) : undefined;
}

/** The field's `@treeSize(total: N)`, if declared. */
function treeTotalOf(field: GraphQLField<unknown, unknown> | undefined): number | undefined {
  const total = field?.astNode?.directives?.find((d) => d.name.value === "treeSize")?.arguments?.find((a) => a.name.value === "total")?.value;
  return total?.kind === Kind.INT && Number(total.value) >= 1 ? Number(total.value) : undefined;
}

/** Whether some subgraph resolves the field with `@requires` (the supergraph's `@join__field(requires:)`). */
function requiresFields(field: GraphQLField<unknown, unknown> | undefined): boolean {
  return !!field?.astNode?.directives?.some((d) => d.name.value === "join__field" && d.arguments?.some((a) => a.name.value === "requires"));
}

const ceilAverage = (counts: number[]) => (counts.length === 0 ? 1 : Math.max(1, Math.ceil(counts.reduce((a, b) => a + b, 0) / counts.length)));

/**
 * Introspection's lists, priced by what they return for this schema: every type and directive
 * of `__schema`, and for a type's fields, arguments, enum values, input fields, interfaces and
 * possible types the average over the types that have them, so `types { fields { args } }`
 * counts about as many items as the schema holds (a maximum per level would count a small
 * type like the largest one, hundreds of times what the answer holds).
 */
function introspectionSizes(api: GraphQLSchema): Map<string, number> {
  const types = Object.values(api.getTypeMap());
  const fieldsOf = types.filter((t) => isObjectType(t) || isInterfaceType(t)).map((t) => Object.values((t as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()));
  const allFields = fieldsOf.flat();
  const directives = api.getDirectives();
  const count = <T>(items: readonly T[], of: (item: T) => number | undefined) => items.map(of).filter((n): n is number => n !== undefined && n > 0);
  return new Map([
    ["__Schema.types", types.length],
    ["__Schema.directives", Math.max(1, directives.length)],
    ["__Type.fields", ceilAverage(fieldsOf.map((f) => f.length).filter((n) => n > 0))],
    ["__Type.inputFields", ceilAverage(count(types, (t) => ("getFields" in t && !isObjectType(t) && !isInterfaceType(t) ? Object.keys(t.getFields()).length : undefined)))],
    ["__Type.enumValues", ceilAverage(count(types, (t) => ("getValues" in t ? t.getValues().length : undefined)))],
    ["__Type.interfaces", ceilAverage(count(types, (t) => ("getInterfaces" in t ? t.getInterfaces().length : undefined)))],
    ["__Type.possibleTypes", ceilAverage(count(types, (t) => ("getTypes" in t ? t.getTypes().length : isInterfaceType(t) ? api.getPossibleTypes(t).length : undefined)))],
    ["__Field.args", ceilAverage(count(allFields, (f) => f.args.length))],
    ["__Directive.args", ceilAverage(count(directives, (d) => d.args.length))],
    ["__Directive.locations", ceilAverage(count(directives, (d) => d.locations.length))],
  ]);
}

/**
 * The sizes of every field of `api` (the schema clients query), read from the `@listSize`
 * directives of `declared` (the composed supergraph, which keeps them; the API schema drops
 * directive applications). Refuses, with every offender named, a schema holding a list the
 * measure could not size.
 */
export function listSizesOf(api: GraphQLSchema, declared: GraphQLSchema = api): ListSizes {
  const sizes = new Map<string, FieldSize>();
  const undeclared: UndeclaredList[] = [];
  const unweighted: UndeclaredList[] = [];
  const introspection = introspectionSizes(api);
  const declaredField = (type: string, field: string) => {
    const named = declared.getType(type);
    return named && (isObjectType(named) || isInterfaceType(named)) ? named.getFields()[field] : undefined;
  };
  // Lists a paged field's page counts (a connection's edges), named by its sizedFields.
  const sizedByPage = new Set<string>();
  for (const type of Object.values(api.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      for (const sized of listSizeOf(declaredField(type.name, field.name))?.sizedFields ?? []) sizedByPage.add(`${getNamedType(field.type).name}.${sized}`);
    }
  }
  for (const type of Object.values(api.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      const declaredAs = declaredField(type.name, field.name);
      const declaration = listSizeOf(declaredAs);
      const weight = weightOf(declaredAs);
      const treeTotal = isListType(getNullableType(field.type)) ? treeTotalOf(declaredAs) : undefined;
      if (requiresFields(declaredAs) && weight === undefined) unweighted.push({ type: type.name, field: field.name });
      const pages = new Map<string, number>();
      for (const name of declaration?.slicingArguments ?? []) {
        const argument = field.args.find((a) => a.name === name);
        if (typeof argument?.defaultValue === "number") pages.set(name, argument.defaultValue);
      }
      const isList = isListType(getNullableType(field.type));
      let items = 1;
      if (type.name.startsWith("__")) items = introspection.get(key) ?? 1;
      else if (isList && pages.size === 0 && !sizedByPage.has(key)) {
        if (declaration?.assumedSize !== undefined && declaration.assumedSize >= 1) items = declaration.assumedSize;
        else undeclared.push({ type: type.name, field: field.name });
      }
      sizes.set(key, {
        type: getNamedType(field.type).name,
        items,
        ...(pages.size > 0 ? { pages } : {}),
        ...(pages.size > 0 && (declaration?.sizedFields?.length ?? 0) > 0 ? { pagesSizedFields: true } : {}),
        ...(sizedByPage.has(key) ? { sizedByPage: true } : {}),
        ...(weight !== undefined && weight > 0 ? { weight } : {}),
        ...(treeTotal !== undefined ? { treeTotal } : {}),
      });
    }
  }
  if (undeclared.length > 0 || unweighted.length > 0) throw new UndeclaredCostError(undeclared, unweighted);
  const roots: Record<OperationTypeNode, string | undefined> = {
    query: api.getQueryType()?.name,
    mutation: api.getMutationType()?.name,
    subscription: api.getSubscriptionType()?.name,
  };
  // By type, then field: asked for every field of every object an answer holds (its actual cost),
  // where joining the two names into one key was 1% of the gateway's CPU on a product read.
  const byType = new Map<string, Map<string, FieldSize>>();
  for (const [key, size] of sizes) {
    const dot = key.indexOf(".");
    const type = key.slice(0, dot);
    let fields = byType.get(type);
    if (!fields) byType.set(type, (fields = new Map()));
    fields.set(key.slice(dot + 1), size);
  }
  return {
    rootType: (kind) => roots[kind],
    field: (type, field) => byType.get(type)?.get(field),
  };
}

/** Every list field of `api` that `listSizesOf` would refuse for want of a size (none, for a schema it accepts). */
export function undeclaredLists(api: GraphQLSchema, declared: GraphQLSchema = api): UndeclaredList[] {
  return undeclaredCosts(api, declared).lists;
}

/** Every field of `api` that `listSizesOf` would refuse: lists without a size, `@requires` fields without a weight. */
export function undeclaredCosts(api: GraphQLSchema, declared: GraphQLSchema = api): { lists: UndeclaredList[]; unweighted: UndeclaredList[] } {
  try {
    listSizesOf(api, declared);
    return { lists: [], unweighted: [] };
  } catch (error) {
    if (error instanceof UndeclaredCostError) return { lists: [...error.lists], unweighted: [...error.unweighted] };
    throw error;
  }
}

