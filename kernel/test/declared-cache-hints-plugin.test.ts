import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControl } from "@apollo/server/plugin/cacheControl";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isInputType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from "graphql";
import { declaredCacheHintsPlugin } from "../src/graphql/declared-cache-hints-plugin.js";

/** Hints of every kind Apollo reads: type and field, scope, inheritMaxAge, extensions, abstract types, a bare directive. */
const CRAFTED = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  enum CacheControlScope { PUBLIC PRIVATE }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  type Query {
    shelf: Shelf @cacheControl(maxAge: 120)
    plain: Shelf
    count: Int
    hinted: Int @cacheControl(maxAge: 7)
    viewer: Viewer
    things: [Thing!]!
    node(id: ID!): Node @cacheControl(maxAge: 50)
    bare: Shelf @cacheControl
  }
  type Shelf @key(fields: "id") @cacheControl(maxAge: 90) {
    id: ID!
    label: String @cacheControl(maxAge: 30)
    price: Price
    inherited: Price @cacheControl(inheritMaxAge: true)
    privateInherited: Price @cacheControl(inheritMaxAge: true, scope: PRIVATE)
    owner: Viewer
    loose: Loose
    looseInherited: Loose @cacheControl(inheritMaxAge: true)
    items: [Shelf!]
  }
  type Price @cacheControl(inheritMaxAge: true) { amount: Int currency: String }
  type Loose { note: String shelf: Shelf agedShelf: Shelf @cacheControl(inheritMaxAge: true) }
  type Viewer @cacheControl(maxAge: 5, scope: PRIVATE) { name: String secret: String @cacheControl(maxAge: 1) }
  interface Node { id: ID! }
  type Leaf implements Node @cacheControl(maxAge: 15) { id: ID! colour: String }
  type Stem implements Node { id: ID! length: Int @cacheControl(maxAge: 3, scope: PRIVATE) }
  union Thing = Leaf | Stem
  type Plain @key(fields: "id") { id: ID! note: String }
  type Extended { value: Int }
  extend type Extended @cacheControl(maxAge: 11)
  extend type Query { extended: Extended }
`;

const schemas: Record<string, () => GraphQLSchema> = {
  crafted: () => buildSubgraphSchema({ typeDefs: parse(CRAFTED) }),
  products: () => buildSubgraphSchema({ typeDefs: parse(readFileSync(new URL("../../subgraphs/products/schema.graphql", import.meta.url), "utf8")) }),
  search: () => buildSubgraphSchema({ typeDefs: parse(readFileSync(new URL("../../subgraphs/search/schema.graphql", import.meta.url), "utf8")) }),
};

/** A number in [0, 1) decided by the words: the same answer from both servers. */
const chance = (...words: unknown[]) => createHash("sha256").update(JSON.stringify(words)).digest().readUInt32BE(0) / 2 ** 32;

/** Answers every field with made-up data decided by its path, nulling and throwing by the scenario's odds. */
function madeUp(scenario: { nulls: number; throws: number }): GraphQLFieldResolver<unknown, unknown> {
  const value = (type: GraphQLOutputType, at: string, nullable = true): unknown => {
    if (isNonNullType(type)) return value(type.ofType, at, false);
    if (nullable && chance("null", at) < scenario.nulls) return null;
    if (isListType(type)) return Array.from({ length: Math.floor(chance("length", at) * 3) }, (_, index) => value(type.ofType, `${at}.${index}`));
    return leafOrObject(getNamedType(type), at);
  };
  const leafOrObject = (type: GraphQLNamedType, at: string): unknown => {
    if (isEnumType(type)) return type.getValues()[0]!.value;
    if (isScalarType(type)) return type.name === "Int" ? 3 : type.name === "Float" ? 1.5 : type.name === "Boolean" ? true : `${type.name}-${at.length}`;
    if (isObjectType(type)) return { __typename: type.name };
    return { __typename: null };
  };
  return (_source, _args, _context, info) => {
    const at = `${info.parentType.name}.${JSON.stringify(info.path)}`;
    if (chance("throw", at) < scenario.throws) throw new GraphQLError("made-up failure", { extensions: { code: "NOT_FOUND" } });
    const named = getNamedType(info.returnType);
    if (isAbstractType(named)) {
      const possible = info.schema.getPossibleTypes(named);
      const pick = (path: string) => ({ __typename: possible[Math.floor(chance("type", path) * possible.length)]!.name });
      const made = value(info.returnType, at);
      const typed = (entry: unknown, path: string): unknown => (Array.isArray(entry) ? entry.map((item, index) => typed(item, `${path}.${index}`)) : entry === null ? null : pick(path));
      return typed(made, at);
    }
    return value(info.returnType, at);
  };
}

/** A literal for a required argument of a leaf type, or undefined when the field needs more. */
function literalFor(type: GraphQLInputType): string | undefined {
  const inner = getNullableType(type);
  if (isListType(inner)) {
    const item = literalFor(inner.ofType);
    return item === undefined ? undefined : `[${item}]`;
  }
  if (isEnumType(inner)) return inner.getValues()[0]!.name;
  if (isScalarType(inner)) return inner.name === "Int" || inner.name === "Float" ? "2" : inner.name === "Boolean" ? "true" : `"x"`;
  return undefined;
}

/** A selection of every field reachable within `depth` levels whose required arguments take literals. */
function selectAll(schema: GraphQLSchema, type: GraphQLNamedType, depth: number): string {
  if (isLeafType(type)) return "";
  if (depth === 0) return "{ __typename }";
  if (isAbstractType(type)) return `{ __typename ${schema.getPossibleTypes(type).map((possible) => `... on ${possible.name} ${selectAll(schema, possible, depth)}`).join(" ")} }`;
  if (!isObjectType(type)) return "";
  const fields = Object.values(type.getFields())
    .map((field) => fieldSelection(schema, field, depth))
    .filter((selection): selection is string => selection !== undefined);
  return `{ __typename ${fields.join(" ")} }`;
}

function fieldSelection(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, depth: number): string | undefined {
  const args: string[] = [];
  for (const argument of field.args) {
    if (!isNonNullType(argument.type) || argument.defaultValue !== undefined) continue;
    if (!isInputType(argument.type)) return undefined;
    const literal = literalFor(argument.type);
    if (literal === undefined) return undefined;
    args.push(`${argument.name}: ${literal}`);
  }
  if (field.name === "_entities") return undefined;
  return `${field.name}${args.length ? `(${args.join(", ")})` : ""} ${selectAll(schema, getNamedType(field.type), depth - 1)}`;
}

/** Every root field alone, all of them together, and each entity type through `_entities`, as the gateway asks. */
function operationsOf(schema: GraphQLSchema): string[] {
  const query = schema.getQueryType()!;
  const roots = Object.values(query.getFields())
    .filter((field) => !field.name.startsWith("_"))
    .map((field) => fieldSelection(schema, field, 4))
    .filter((selection): selection is string => selection !== undefined);
  const entities = schema.getType("_Entity");
  const entityTypes = entities && isAbstractType(entities) ? schema.getPossibleTypes(entities) : [];
  return [
    ...roots.map((root) => `{ ${root} }`),
    `{ ${roots.join(" ")} }`,
    `query Aliased { a: __typename ${roots.map((root, index) => `r${index}: ${root}`).join(" ")} }`,
    ...entityTypes.map(
      (type) => `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on ${type.name} ${selectAll(schema, type, 3)} } }`,
    ),
  ];
}

async function serverWith(schema: GraphQLSchema, plugins: ApolloServerPlugin[], fieldResolver: GraphQLFieldResolver<unknown, unknown>) {
  const server = new ApolloServer({ schema, plugins, fieldResolver, includeStacktraceInErrorResponses: false });
  await server.start();
  return server;
}

describe("declared cache hints: the answers and Cache-Control headers of Apollo's cache-control plugin", () => {
  const scenarios = [
    { nulls: 0, throws: 0 },
    { nulls: 0.3, throws: 0 },
    { nulls: 0.15, throws: 0.05 },
  ];
  for (const [name, build] of Object.entries(schemas)) {
    it(`are those of Apollo's plugin on the ${name} schema, for every operation and scenario`, async () => {
      const headers = new Set<string>();
      for (const scenario of scenarios) {
        const resolver = madeUp(scenario);
        const apollo = await serverWith(build(), [ApolloServerPluginCacheControl()], resolver);
        // Apollo installs its own plugin unless told not to: the declared one runs alone.
        const declared = await serverWith(build(), [ApolloServerPluginCacheControlDisabled(), declaredCacheHintsPlugin()], resolver);
        try {
          for (const query of operationsOf(build())) {
            const variables = query.includes("$representations") ? { representations: [{ __typename: /on (\w+)/.exec(query)![1], id: "1" }] } : undefined;
            const [expected, actual] = await Promise.all([apollo.executeOperation({ query, variables }), declared.executeOperation({ query, variables })]);
            const label = `${name}, ${JSON.stringify(scenario)}: ${query}`;
            assert.equal(actual.http.status, expected.http.status, label);
            assert.equal(actual.http.headers.get("cache-control"), expected.http.headers.get("cache-control"), label);
            assert.equal(JSON.stringify(actual.body), JSON.stringify(expected.body), label);
            headers.add(expected.http.headers.get("cache-control") ?? "none");
          }
        } finally {
          await Promise.all([apollo.stop(), declared.stop()]);
        }
      }
      // Not only "no-store": the comparison saw cacheable answers too.
      assert.ok([...headers].some((header) => header.startsWith("max-age=")), `${name}: ${[...headers].join(", ")}`);
      assert.ok(headers.has("no-store"), `${name}: ${[...headers].join(", ")}`);
    });
  }

  it("leaves a policy restricted before execution as it is, and reads a header set before it, as Apollo's plugin does", async () => {
    const restrictFirst: ApolloServerPlugin = {
      async requestDidStart({ overallCachePolicy }) {
        overallCachePolicy.restrict({ maxAge: 500 });
      },
    };
    const headerFirst = (header: string): ApolloServerPlugin => ({
      async requestDidStart() {
        return {
          async willSendResponse({ response }) {
            response.http.headers.set("cache-control", header);
          },
        };
      },
    });
    const cases: [ApolloServerPlugin, string][] = [
      [restrictFirst, "{ shelf { id label price { amount } } viewer { name } }"],
      ...["max-age=10, public", "max-age=200, public", "no-store", "max-age=10", "private"].flatMap((header): [ApolloServerPlugin, string][] => [
        [headerFirst(header), "{ viewer { name } }"],
        [headerFirst(header), "{ shelf { id } }"],
        [headerFirst(header), "{ count }"],
      ]),
    ];
    for (const [first, query] of cases) {
      const answers: (string | undefined)[] = [];
      for (const plugins of [[ApolloServerPluginCacheControl()], [ApolloServerPluginCacheControlDisabled(), declaredCacheHintsPlugin()]]) {
        const server = await serverWith(schemas.crafted!(), [first, ...plugins], madeUp({ nulls: 0, throws: 0 }));
        answers.push((await server.executeOperation({ query })).http.headers.get("cache-control"));
        await server.stop();
      }
      assert.equal(answers[1], answers[0], query);
    }
  });
});
