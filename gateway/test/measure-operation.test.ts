import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildSchema, getIntrospectionQuery, Kind, parse, type OperationDefinitionNode } from "graphql";
import { listSizesOf, UndeclaredCostError } from "../src/security/list-sizes.js";
import { measureOperation, UnmeasurableOperationError } from "../src/security/measure-operation.js";

const measure = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return measureOperation(document, operation, variables);
};

function bomb(levels: number): string {
  const fragments = [`fragment F0 on Product { id name }`];
  for (let i = 1; i <= levels; i++) fragments.push(`fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`);
  return `{ product(id: "p") { ...F${levels} } } ${fragments.join(" ")}`;
}

describe("measureOperation", () => {
  it("counts a fragment bomb exactly as if expanded: 2^(levels+1) fields under the root field", () => {
    const measured = measure(bomb(10));
    assert.equal(measured.cost, 1 + 2 ** 11);
    assert.equal(measured.depth, 2);
    assert.equal(measured.repeats, 2 ** 10);
  });

  it("measures each fragment once: a thousand doubling levels finish, with saturated figures", () => {
    // Expanded, this is 2^1001 fields: only a measure linear in the document can return at all.
    const measured = measure(bomb(1_000));
    assert.ok(measured.cost >= 1e12);
    assert.ok(Number.isFinite(measured.cost));
  });

  it("counts root fields reached through inline and named fragments, per run", () => {
    const measured = measure(`{ ...A ...A ... on Query { c: search(query: "x") { totalCount } } } fragment A on Query { a: search(query: "x") { totalCount } b: search(query: "y") { totalCount } product(id: "p") { id } }`);
    assert.equal(measured.rootFields.get("search"), 5);
    assert.equal(measured.rootFields.get("product"), 2);
    assert.equal(measured.aliases, 5);
  });

  it("multiplies by page sizes given literally or in variables", () => {
    assert.equal(measure(`{ products(first: 10) { edges { node { id } } } }`).cost, 1 + 10 * 3);
    assert.equal(measure(`query($n: Int) { products(first: $n) { edges { node { id } } } }`, { n: 7 }).cost, 1 + 7 * 3);
  });

  it("multiplies by the page size a query runs with when it sends none: the variable's default, else the schema's", () => {
    const schema = buildSchema(`directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!]) on FIELD_DEFINITION
      type Query { products(first: Int = 20, after: String): [P!]! @listSize(slicingArguments: ["first"]) trending(first: Int = 10): [P!]! @listSize(slicingArguments: ["first"]) product: P } type P { id: ID! name: String! }`);
    const sizes = listSizesOf(schema);
    const document = (query: string) => {
      const parsed = parse(query);
      return [parsed, parsed.definitions[0] as OperationDefinitionNode] as const;
    };
    const cost = (query: string, variables: Record<string, unknown> = {}) => measureOperation(...document(query), variables, sizes).cost;
    assert.equal(cost(`query($n: Int = 100) { products(first: $n) { id name } }`), 1 + 100 * 2, "the variable's default");
    assert.equal(cost(`query($n: Int = 100) { products(first: $n) { id name } }`, { n: 3 }), 1 + 3 * 2, "a sent value over the default");
    assert.equal(cost(`query($n: Int) { products(first: $n) { id name } }`), 1 + 20 * 2, "no value, no default: the schema's");
    assert.equal(cost(`{ products { id name } trending { id } product { id } }`), 1 + 20 * 2 + 1 + 10 + 1 + 1, "argument left out");
    assert.equal(cost(`{ products(first: null) { id } }`), 1 + 20, "null: the schema's default");
  });

  const catalog = `directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!]) on FIELD_DEFINITION
    type Query { products(first: Int = 20): Connection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"]) product: P cart: Cart }
    type Connection { totalCount: Int! edges: [Edge!]! } type Edge { node: P! }
    type P { id: ID! variants: [V!]! @listSize(assumedSize: 100) } type V { id: ID! product: P! }
    type Cart { items: [Item!]! @listSize(assumedSize: 50) } type Item { variant: V! }`;

  it("counts a list without a page as its declared size, on the type it belongs to, and a connection's edges by its page only", () => {
    const sizes = listSizesOf(buildSchema(catalog));
    const cost = (query: string) => measureOperation(parse(query), parse(query).definitions[0] as OperationDefinitionNode, {}, sizes).cost;
    assert.equal(cost(`{ product { variants { id } } }`), 1 + 1 * (1 + 100 * 1));
    assert.equal(cost(`{ cart { items { variant { id } } } }`), 1 + (1 + 50 * (1 + 1)));
    // The page multiplies the edges, not the total beside them.
    assert.equal(cost(`{ products { totalCount edges { node { id } } } }`), 1 + 1 + 20 * (1 + (1 + 1)));
    // Each hop through a list multiplies: a cart's lines' variants' products' variants.
    assert.equal(cost(`{ cart { items { variant { product { variants { id } } } } } }`), 1 + (1 + 50 * (1 + (1 + (1 + 100 * 1)))));
    // Through a fragment, measured on its own type condition.
    assert.equal(cost(`{ product { ...V } } fragment V on P { variants { id } }`), 1 + 1 * (1 + 100 * 1));
  });

  it("refuses a schema holding a list with no declared size or page, naming it", () => {
    assert.throws(
      () => listSizesOf(buildSchema(`${catalog} type Extra { tags: [String!]! } extend type Query { extra: Extra }`)),
      (error: unknown) => error instanceof UndeclaredCostError && error.lists.some((l) => l.type === "Extra" && l.field === "tags"),
    );
  });

  it("prices introspection by what this schema's introspection returns, apart from the data cost", () => {
    const sizes = listSizesOf(buildSchema(catalog));
    const introspection = (query: string) => measureOperation(parse(query), parse(query).definitions[0] as OperationDefinitionNode, {}, sizes);
    const one = introspection(`{ __schema { types { name fields { name } } } }`);
    assert.equal(one.cost, 0);
    assert.ok(one.introspectionCost > 1, String(one.introspectionCost));
    const thirty = introspection(`{ ${Array.from({ length: 30 }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(" ")} }`);
    assert.equal(thirty.introspectionCost, 30 * one.introspectionCost);
  });

  it("keeps introspection apart: the standard introspection query has no data depth and a bounded type depth", () => {
    const measured = measure(getIntrospectionQuery());
    assert.equal(measured.depth, 0);
    assert.ok(measured.introspectionDepth > 5 && measured.introspectionDepth <= 20, String(measured.introspectionDepth));
  });

  it("counts meta fields: aliased __typename adds to aliases and cost", () => {
    const measured = measure(`{ ${Array.from({ length: 40 }, (_, i) => `t${i}: __typename`).join(" ")} }`);
    assert.equal(measured.aliases, 40);
    assert.equal(measured.cost, 40);
  });

  it("refuses fragment cycles and unknown fragments", () => {
    assert.throws(() => measure(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`), UnmeasurableOperationError);
    assert.throws(() => measure(`{ ...Missing }`), UnmeasurableOperationError);
  });
});
