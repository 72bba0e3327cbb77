import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
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
 */
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
}

export interface ListSizes {
  /** The type an operation of this kind starts from. */
  rootType(kind: OperationTypeNode): string | undefined;
  /** What one field returns, or undefined for a field the schema does not have (validation refuses it). */
  field(type: string, field: string): FieldSize | undefined;
}

/** A list field of the API whose size nothing declares. */
export interface UndeclaredList {
  type: string;
  field: string;
}

export class UndeclaredListSizeError extends Error {
  constructor(readonly lists: readonly UndeclaredList[]) {
    super(`Lists without a declared size (@listSize(assumedSize: N), or a page through slicingArguments): ${lists.map((l) => `${l.type}.${l.field}`).join(", ")}`);
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
      const declaration = listSizeOf(declaredField(type.name, field.name));
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
      });
    }
  }
  if (undeclared.length > 0) throw new UndeclaredListSizeError(undeclared);
  const roots: Record<OperationTypeNode, string | undefined> = {
    query: api.getQueryType()?.name,
    mutation: api.getMutationType()?.name,
    subscription: api.getSubscriptionType()?.name,
  };
  return {
    rootType: (kind) => roots[kind],
    field: (type, field) => sizes.get(`${type}.${field}`),
  };
}

/** Every list field of `api` that `listSizesOf` would refuse (none, for a schema it accepts). */
export function undeclaredLists(api: GraphQLSchema, declared: GraphQLSchema = api): UndeclaredList[] {
  try {
    listSizesOf(api, declared);
    return [];
  } catch (error) {
    if (error instanceof UndeclaredListSizeError) return [...error.lists];
    throw error;
  }
}

