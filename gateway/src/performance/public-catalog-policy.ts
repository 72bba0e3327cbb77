import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ConstDirectiveNode,
} from "graphql";

/**
 * The subgraphs whose data is public catalog data: the same for every caller, changed only by
 * catalog writes (`Topics.productChanged`) and stock movements (`Topics.stockChanged`).
 */
export const PUBLIC_CATALOG_SUBGRAPHS = ["products", "search", "inventory"] as const;

/**
 * Root query fields a shared cache may answer. An explicit allow-list on top of the subgraph
 * rule: a public subgraph could one day add a root field that depends on the caller.
 */
export const PUBLIC_ROOT_FIELDS = new Set(["product", "products", "search", "autocomplete"]);

/** Root fields whose answer depends on which products exist (new, removed, re-priced ones). */
const LISTING_ROOT_FIELDS = new Set(["products", "search", "autocomplete"]);

/** The entity whose changes the catalog's events announce, keyed by its id. */
const CATALOG_ENTITY = "Product";

/** How to find the products a response contains: the response keys leading to them. */
export interface ProductLocator {
  key: string;
  /** Response key of the product's `id`, set when this position is a product. */
  idKey?: string | null;
  children: ProductLocator[];
}

export type CachePlan =
  | { cacheable: false; reason: string }
  | {
      cacheable: true;
      /** Depends on which products exist: dropped on every catalog change. */
      listing: boolean;
      /** Some product is selected without its id: dropped on every catalog or stock change. */
      untraceable: boolean;
      locators: ProductLocator[];
    };

/**
 * Decides, from the supergraph's own join metadata, whether an operation reads public
 * catalog data only: a query whose root fields are allow-listed and whose every selected
 * field is served by a public catalog subgraph. Anything else (a cart, an order, the caller's
 * account, a mutation, introspection) is never cached, so per-user data cannot leak between
 * callers through the cache.
 */
export function createPublicCatalogPolicy(supergraphSdl: string) {
  const publicFields = publicFieldsOf(parse(supergraphSdl));
  const isPublic = (typeName: string, fieldName: string) => publicFields.get(typeName)?.has(fieldName) ?? false;

  return function planFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CachePlan {
    const fragments = new Map<string, FragmentDefinitionNode>();
    const operations = [];
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
    }
    const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
    if (!operation) return { cacheable: false, reason: "no single operation" };
    if (operation.operation !== "query") return { cacheable: false, reason: `${operation.operation} operations are never cached` };
    if (operation.directives?.length) return { cacheable: false, reason: "operation directives" };
    const queryType = schema.getQueryType();
    if (!queryType) return { cacheable: false, reason: "no query type" };

    let listing = false;
    let untraceable = false;
    let refusal: string | undefined;

    const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, root: boolean, seen: Set<string>): { locators: ProductLocator[]; idKey: string | null } => {
      const locators: ProductLocator[] = [];
      let idKey: string | null = null;
      for (const selection of selectionSet.selections) {
        if (refusal) break;
        // @skip/@include make the response's shape depend on variables; not worth the care.
        if (selection.directives?.length) {
          refusal = "field directives";
          break;
        }
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          const key = selection.alias?.value ?? name;
          if (name === "__typename") continue;
          if (name.startsWith("__")) {
            refusal = "introspection";
            break;
          }
          if (root && !PUBLIC_ROOT_FIELDS.has(name)) {
            refusal = `root field ${name} is not public catalog data`;
            break;
          }
          if (root && LISTING_ROOT_FIELDS.has(name)) listing = true;
          if (!isObjectType(parent) && !isInterfaceType(parent)) {
            refusal = `field ${name} on an abstract type`;
            break;
          }
          const field = parent.getFields()[name];
          if (!field || !isPublic(parent.name, name)) {
            refusal = `${parent.name}.${name} is not served by a public catalog subgraph`;
            break;
          }
          if (name === "id" && parent.name === CATALOG_ENTITY) idKey = key;
          const type = getNamedType(field.type);
          if (!selection.selectionSet) continue;
          const child = walk(selection.selectionSet, type as GraphQLCompositeType, false, seen);
          if (type.name === CATALOG_ENTITY) {
            if (child.idKey === null) untraceable = true;
            locators.push({ key, idKey: child.idKey, children: child.locators });
          } else if (child.locators.length) {
            locators.push({ key, children: child.locators });
          }
        } else {
          let inner: SelectionSetNode;
          let condition = parent;
          if (selection.kind === Kind.INLINE_FRAGMENT) {
            inner = selection.selectionSet;
            if (selection.typeCondition) condition = schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType;
          } else {
            const fragment = fragments.get(selection.name.value);
            if (!fragment || seen.has(fragment.name.value)) continue;
            seen = new Set(seen).add(fragment.name.value);
            inner = fragment.selectionSet;
            condition = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType;
          }
          if (!condition || condition.name !== parent.name) {
            refusal = "type conditions on another type";
            break;
          }
          const child = walk(inner, condition, root, seen);
          locators.push(...child.locators);
          idKey ??= child.idKey;
        }
      }
      return { locators, idKey };
    };

    const { locators } = walk(operation.selectionSet, queryType, true, new Set());
    if (refusal) return { cacheable: false, reason: refusal };
    return { cacheable: true, listing, untraceable, locators };
  };
}

export type PublicCatalogPolicy = ReturnType<typeof createPublicCatalogPolicy>;

/** The product ids a response holds; `missing` when a product position came back null. */
export function productsIn(data: unknown, locators: ProductLocator[]): { ids: Set<string>; missing: boolean } {
  const ids = new Set<string>();
  let missing = false;
  const visit = (value: unknown, locator: ProductLocator) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, locator);
      return;
    }
    if (value === null || value === undefined) {
      if (locator.idKey !== undefined) missing = true;
      return;
    }
    if (typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (locator.idKey) {
      const id = record[locator.idKey];
      if (typeof id === "string") ids.add(id);
    }
    for (const child of locator.children) visit(record[child.key], child);
  };
  if (data && typeof data === "object") for (const locator of locators) visit((data as Record<string, unknown>)[locator.key], locator);
  return { ids, missing };
}

/** type name -> fields a public catalog subgraph resolves, from @join__type / @join__field. */
function publicFieldsOf(supergraph: DocumentNode): Map<string, Set<string>> {
  const graphEnum = new Map<string, string>();
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== "join__Graph") continue;
    for (const value of definition.values ?? []) {
      const name = stringArgument(value.directives?.find((d) => d.name.value === "join__graph"), "name");
      if (name) graphEnum.set(value.name.value, name);
    }
  }
  const isPublicGraph = (directive: ConstDirectiveNode) => {
    const graph = enumArgument(directive, "graph");
    return graph !== undefined && (PUBLIC_CATALOG_SUBGRAPHS as readonly string[]).includes(graphEnum.get(graph) ?? "");
  };
  const result = new Map<string, Set<string>>();
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const typeInPublicGraph = (definition.directives ?? []).some((d) => d.name.value === "join__type" && isPublicGraph(d));
    const fields = new Set<string>();
    for (const field of definition.fields ?? []) {
      const joins = (field.directives ?? []).filter((d) => d.name.value === "join__field");
      // A field without @join__field is resolved by every subgraph declaring its type.
      const served = joins.length === 0 ? typeInPublicGraph : joins.some(isPublicGraph);
      if (served) fields.add(field.name.value);
    }
    result.set(definition.name.value, fields);
  }
  return result;
}

function stringArgument(directive: ConstDirectiveNode | undefined, name: string): string | undefined {
  const value = directive?.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function enumArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.ENUM ? value.value : undefined;
}
