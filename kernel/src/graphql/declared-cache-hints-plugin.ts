import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from "graphql";

export type CacheScope = "PUBLIC" | "PRIVATE";

export interface CacheHint {
  maxAge?: number;
  scope?: CacheScope;
}

/** What a field adds to an answer's policy: as a nested field, and as a root field. */
export interface FieldHints {
  nested: CacheHint | undefined;
  root: CacheHint | undefined;
  /** Its own hint before the field resolves, and whether it may then stay without an age. */
  rule: FieldRule;
}

export interface FieldRule {
  start: CacheHint;
  /** Without an age once resolved, it makes the answer uncacheable (a composite that does not inherit, a root field). */
  ageless: { nested: boolean; root: boolean };
}

/**
 * Fields whose resolver sets a hint at run time through `info.cacheControl`: @apollo/subgraph's
 * `_entities` restricts the field with each entity type's hint. Every other field's hint is as
 * declared.
 */
export const HINTED_AT_RUN_TIME = new Set(["_entities"]);

/**
 * Apollo Server's cache-control rules (`ApolloServerPluginCacheControl`: a resolved field's
 * type and field `@cacheControl` hints, `inheritMaxAge`, the uncacheable root and composite
 * fields without a hint, the `Cache-Control` header of an answer without errors) for a schema
 * whose hints are all declared. No resolver of ours sets a hint at run time, so what each field
 * adds to the answer's policy is worked out once per field, and a resolved field only restricts
 * the answer's policy: Apollo's plugin made a policy object, two cache lookups and three
 * closures for every field it saw resolve.
 *
 * Not offered: `info.cacheControl` (a resolver asking for it gets undefined, where Apollo's
 * plugin gives a per-field policy to change); a schema that needs hints set at run time keeps
 * Apollo's plugin.
 */
export function declaredCacheHintsPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  let hints: Map<string, Map<string, FieldHints>> = new Map();
  return {
    async serverWillStart({ schema }) {
      hints = fieldHintsOf(schema);
    },
    async requestDidStart() {
      return {
        async executionDidStart({ overallCachePolicy }) {
          // Apollo's rule: a policy restricted before execution is left as it is by the fields.
          if (overallCachePolicy.maxAge !== undefined || overallCachePolicy.scope !== undefined) return;
          return {
            willResolveField({ info }) {
              const field = hints.get(info.parentType.name)?.get(info.fieldName);
              const root = info.path.prev === undefined;
              if (root && HINTED_AT_RUN_TIME.has(info.fieldName) && info.parentType === info.schema.getQueryType()) {
                return hintedAtRunTime(info as GraphQLResolveInfo & { cacheControl?: unknown }, field?.rule ?? NO_RULE, overallCachePolicy);
              }
              // The hint applies once the field resolves, whatever it resolves to: restricting
              // is a minimum, so applying it now gives the same policy.
              const hint = root ? field?.root : field?.nested;
              if (hint) overallCachePolicy.restrict(hint);
              return undefined;
            },
          };
        },
        async willSendResponse({ response, overallCachePolicy }) {
          const existing = existingHeader(response.http.headers.get("cache-control"));
          if (existing.kind === "unparsable") return;
          let maxAge = overallCachePolicy.maxAge;
          let scope = overallCachePolicy.scope;
          if (existing.kind === "cacheable") {
            if (maxAge === undefined || existing.hint.maxAge < maxAge) maxAge = existing.hint.maxAge;
            if (scope !== "PRIVATE") scope = existing.hint.scope;
          }
          const cacheable = existing.kind !== "uncacheable" && response.body.kind === "single" && !response.body.singleResult.errors;
          response.http.headers.set("cache-control", cacheable ? cacheControlHeader(maxAge, scope) : UNCACHEABLE);
        },
      };
    },
  };
}

export const UNCACHEABLE = "no-store";

/** The `Cache-Control` header of an error-free answer under this policy, as Apollo's plugin writes it. */
export function cacheControlHeader(maxAge: number | undefined, scope: CacheScope | undefined): string {
  return maxAge !== undefined && maxAge !== 0 ? `max-age=${maxAge}, ${(scope ?? "PUBLIC").toLowerCase()}` : UNCACHEABLE;
}
const CACHEABLE_HEADER = /^max-age=(\d+), (public|private)$/;

type ExistingHeader = { kind: "none" | "uncacheable" | "unparsable" } | { kind: "cacheable"; hint: { maxAge: number; scope: CacheScope } };

/** A Cache-Control header a plugin set before this one, read as Apollo's plugin reads it. */
function existingHeader(header: string | undefined): ExistingHeader {
  if (!header) return { kind: "none" };
  if (header === UNCACHEABLE) return { kind: "uncacheable" };
  const match = CACHEABLE_HEADER.exec(header);
  if (!match) return { kind: "unparsable" };
  return { kind: "cacheable", hint: { maxAge: Number(match[1]), scope: match[2] === "public" ? "PUBLIC" : "PRIVATE" } };
}

/** Every object and interface field's hints, by type and field name; fields that add nothing are left out. */
export function fieldHintsOf(schema: GraphQLSchema): Map<string, Map<string, FieldHints>> {
  const byType = new Map<string, Map<string, FieldHints>>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !(isObjectType(type) || isInterfaceType(type))) continue;
    const fields = new Map<string, FieldHints>();
    for (const field of Object.values(type.getFields())) {
      const rule = fieldRule(field);
      const nested = resolvedHint(rule, false);
      const root = resolvedHint(rule, true);
      if (nested || root || HINTED_AT_RUN_TIME.has(field.name)) fields.set(field.name, { nested, root, rule });
    }
    if (fields.size > 0) byType.set(type.name, fields);
  }
  return byType;
}

export const NO_RULE: FieldRule = { start: {}, ageless: { nested: false, root: true } };

/**
 * A field's own hint: its type's, replaced by the field's (or, with `inheritMaxAge` on the field
 * and no age from the type, only its scope). Once resolved without an age, a composite field that
 * inherits nothing, and a root field, are uncacheable.
 */
function fieldRule(field: GraphQLField<unknown, unknown>): FieldRule {
  let maxAge: number | undefined;
  let scope: CacheScope | undefined;
  let inherits = false;
  const target = getNamedType(field.type);
  const composite = isCompositeType(target);
  if (composite) {
    const typeHint = typeAnnotation(target);
    if (typeHint.maxAge !== undefined) maxAge = typeHint.maxAge;
    if (typeHint.scope !== undefined) scope = typeHint.scope;
    inherits = typeHint.inheritMaxAge === true;
  }
  const own = annotation(field.astNode?.directives) ?? {};
  if (own.inheritMaxAge && maxAge === undefined) {
    inherits = true;
    if (own.scope) scope = own.scope;
  } else {
    if (own.maxAge !== undefined) maxAge = own.maxAge;
    if (own.scope !== undefined) scope = own.scope;
  }
  return { start: hintOf(maxAge, scope), ageless: { nested: composite && !inherits, root: true } };
}

/** What a field with a declared hint only restricts the answer's policy with once resolved; undefined when nothing. */
function resolvedHint(rule: FieldRule, root: boolean): CacheHint | undefined {
  let { maxAge } = rule.start;
  if (maxAge === undefined && (root ? rule.ageless.root : rule.ageless.nested)) maxAge = 0;
  const hint = hintOf(maxAge, rule.start.scope);
  return hint.maxAge === undefined && hint.scope === undefined ? undefined : hint;
}

function hintOf(maxAge: number | undefined, scope: CacheScope | undefined): CacheHint {
  return Object.freeze({ ...(maxAge !== undefined ? { maxAge } : {}), ...(scope !== undefined ? { scope } : {}) });
}

/**
 * A root field whose resolver sets hints: given a policy of its own through `info.cacheControl`,
 * as Apollo's plugin gives every field, and applied to the answer's once the field has resolved.
 */
function hintedAtRunTime(info: GraphQLResolveInfo & { cacheControl?: unknown }, rule: FieldRule, overall: { restrict(hint: CacheHint): void }) {
  const policy = new FieldPolicy(rule.start);
  info.cacheControl = { cacheHint: policy, setCacheHint: (hint: CacheHint) => policy.replace(hint), cacheHintFromType: typeAnnotation };
  return () => {
    if (policy.maxAge === undefined && rule.ageless.root) policy.restrict({ maxAge: 0 });
    overall.restrict(policy);
  };
}

/** The policy shape Apollo's `info.cacheControl.cacheHint` has (restrict is a minimum, replace overrides). */
export class FieldPolicy implements CacheHint {
  maxAge: number | undefined;
  scope: CacheScope | undefined;

  constructor(start: CacheHint) {
    this.maxAge = start.maxAge;
    this.scope = start.scope;
  }

  restrict(hint: CacheHint): void {
    if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge)) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined && this.scope !== "PRIVATE") this.scope = hint.scope;
  }

  replace(hint: CacheHint): void {
    if (hint.maxAge !== undefined) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined) this.scope = hint.scope;
  }

  policyIfCacheable(): Required<CacheHint> | null {
    return this.maxAge === undefined || this.maxAge === 0 ? null : { maxAge: this.maxAge, scope: this.scope ?? "PUBLIC" };
  }
}

interface Annotation {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge?: boolean;
}

/** A type's hint: from its definition, else from the first extension that gives one. */
export function typeAnnotation(type: GraphQLCompositeType): Annotation {
  const fromDefinition = annotation(type.astNode?.directives);
  if (fromDefinition) return fromDefinition;
  for (const extension of type.extensionASTNodes) {
    const fromExtension = annotation(extension.directives);
    if (fromExtension) return fromExtension;
  }
  return {};
}

/** The first `@cacheControl` among the directives, read as Apollo reads it. */
function annotation(directives: readonly ConstDirectiveNode[] | undefined): Annotation | undefined {
  const directive = directives?.find((candidate) => candidate.name.value === "cacheControl");
  if (!directive?.arguments) return undefined;
  const argument = (name: string) => directive.arguments!.find((candidate) => candidate.name.value === name)?.value;
  const maxAge = argument("maxAge");
  const scopeValue = argument("scope");
  const inheritMaxAge = argument("inheritMaxAge");
  const scopeName = scopeValue?.kind === Kind.ENUM ? scopeValue.value : undefined;
  const scope = scopeName === "PUBLIC" || scopeName === "PRIVATE" ? scopeName : undefined;
  if (inheritMaxAge?.kind === Kind.BOOLEAN && inheritMaxAge.value) return { inheritMaxAge: true, scope };
  return { maxAge: maxAge?.kind === Kind.INT ? parseInt(maxAge.value, 10) : undefined, scope };
}
