import { getNamedType, isAbstractType, isInterfaceType, isObjectType, Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLNamedType, type GraphQLSchema, type OperationDefinitionNode, type SelectionNode, type SelectionSetNode } from "graphql";
import { cacheControlHeader, fieldHintsOf, FieldPolicy, HINTED_AT_RUN_TIME, NO_RULE, typeAnnotation, UNCACHEABLE, type CacheHint, type FieldRule } from "./declared-cache-hints-plugin.js";

/**
 * The `Cache-Control` header of a prepared query's error-free answer, from the request's
 * variables; undefined where the header would depend on what the resolvers return, which only
 * Apollo Server's hooks can follow.
 */
export type PreparedCachePolicy = (variables: Record<string, unknown> | undefined) => string | undefined;

/** What the fields below the root could add to an answer's policy, whichever of them resolve. */
interface NestedHints {
  /** The least age among them; Infinity when none gives one. */
  leastAge: number;
  anyAge: boolean;
  anyPrivate: boolean;
}

/**
 * The header `declaredCacheHintsPlugin` gives an answer, worked out once per operation text
 * instead of per resolved field. An answer's policy is the minimum of the hints of the fields
 * that resolved, and which nested fields resolve depends on the data (a null parent, an empty
 * list, an abstract type's runtime type). So a text is prepared only where no nested field can
 * change the header: the root fields' hints (always resolved in an error-free answer) and
 * `_entities`' hints (the types its representations name, known from the variables before any
 * resolver runs) already set an age no nested hint lowers and a scope no nested hint makes
 * private, or an age of 0. Any other request is left to Apollo Server.
 *
 * The gateway's fetches meet this on the products and search subgraphs: their types are 60 s
 * or inherit, their root fields 5-60 s, so every nested hint is at least the root's.
 */
export function preparedCachePolicies(schema: GraphQLSchema): (document: DocumentNode, operation: OperationDefinitionNode) => PreparedCachePolicy | undefined {
  const hints = fieldHintsOf(schema);
  const queryType = schema.getQueryType();
  /** Each representation's type hint by `__typename`; null where `_entities` would throw. */
  const entityHints = new Map<unknown, CacheHint | null>();
  const entityHint = (typename: unknown): CacheHint | null => {
    let hint = entityHints.get(typename);
    if (hint === undefined) {
      const type = typeof typename === "string" ? schema.getType(typename) : undefined;
      hint = type && (isObjectType(type) || isInterfaceType(type)) ? typeAnnotation(type) : null;
      if (entityHints.size < 1_000) entityHints.set(typename, hint);
    }
    return hint;
  };

  return (document, operation) => {
    if (!queryType || operation.operation !== "query") return undefined;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    const rootHints = new FieldPolicy({});
    const entityFields: { variable: string; rule: FieldRule }[] = [];
    const nested: NestedHints = { leastAge: Infinity, anyAge: false, anyPrivate: false };
    const addNested = (hint: CacheHint) => {
      if (hint.maxAge !== undefined) {
        nested.anyAge = true;
        nested.leastAge = Math.min(nested.leastAge, hint.maxAge);
      }
      if (hint.scope === "PRIVATE") nested.anyPrivate = true;
    };
    // A selection set seen under a parent type adds nothing the second time (hints are a minimum).
    const visited = new Map<SelectionSetNode, Set<string>>();

    const visitNested = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined): void => {
      if (!parent) return;
      const seen = visited.get(selectionSet) ?? new Set<string>();
      if (seen.has(parent.name)) return;
      seen.add(parent.name);
      visited.set(selectionSet, seen);
      // A field's hint is its runtime object type's: every type the parent could be.
      const objects = isObjectType(parent) ? [parent] : isAbstractType(parent) ? schema.getPossibleTypes(parent) : [];
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (name.startsWith("__")) continue;
          for (const object of objects) {
            const hint = hints.get(object.name)?.get(name)?.nested;
            if (hint) addNested(hint);
            const field = object.getFields()[name];
            if (field && selection.selectionSet) visitNested(selection.selectionSet, getNamedType(field.type));
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          visitNested(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent);
        } else {
          const fragment = fragments.get(selection.name.value);
          if (fragment) visitNested(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value));
        }
      }
    };

    /** False where the header cannot be known before execution. */
    const visitRoot = (selections: readonly SelectionNode[], conditional: boolean): boolean => {
      for (const selection of selections) {
        const skippable = conditional || (selection.directives?.length ?? 0) > 0;
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (name.startsWith("__")) continue;
          const field = hints.get(queryType.name)?.get(name);
          if (HINTED_AT_RUN_TIME.has(name)) {
            const representations = selection.arguments?.find((argument) => argument.name.value === "representations")?.value;
            if (skippable || representations?.kind !== Kind.VARIABLE) return false;
            entityFields.push({ variable: representations.name.value, rule: field?.rule ?? NO_RULE });
          } else if (field?.root) {
            if (skippable) addNested(field.root);
            else rootHints.restrict(field.root);
          }
          const type = queryType.getFields()[name]?.type;
          if (type && selection.selectionSet) visitNested(selection.selectionSet, getNamedType(type));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (!visitRoot(selection.selectionSet.selections, skippable)) return false;
        } else {
          const fragment = fragments.get(selection.name.value);
          if (!fragment || !visitRoot(fragment.selectionSet.selections, skippable)) return false;
        }
      }
      return true;
    };
    if (!visitRoot(operation.selectionSet.selections, false)) return undefined;

    return (variables) => {
      const policy = new FieldPolicy(rootHints);
      for (const { variable, rule } of entityFields) {
        const representations = variables?.[variable];
        if (!Array.isArray(representations)) return undefined;
        // As @apollo/subgraph's `_entities` restricts its own policy, then the plugin the answer's.
        const entities = new FieldPolicy(rule.start);
        for (const representation of representations) {
          const hint = representation !== null && typeof representation === "object" ? entityHint((representation as { __typename?: unknown }).__typename) : null;
          if (!hint) return undefined;
          entities.restrict(hint);
        }
        if (entities.maxAge === undefined && rule.ageless.root) entities.restrict({ maxAge: 0 });
        policy.restrict(entities);
      }
      if (policy.maxAge === 0) return UNCACHEABLE;
      if (policy.maxAge === undefined) return nested.anyAge ? undefined : UNCACHEABLE;
      if (nested.leastAge < policy.maxAge || (nested.anyPrivate && policy.scope !== "PRIVATE")) return undefined;
      return cacheControlHeader(policy.maxAge, policy.scope);
    };
  };
}
