import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildSchema, Kind, parse, type OperationDefinitionNode } from "graphql";
import { actualOperationCost, type ExecutedResult } from "../src/security/actual-operation-cost.js";
import { listSizesOf } from "../src/security/list-sizes.js";
import { measureOperation } from "../src/security/measure-operation.js";

const schema = buildSchema(`
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!]) on FIELD_DEFINITION
  directive @cost(weight: Int!) on FIELD_DEFINITION
  type Query {
    product(id: ID!): Product
    products(first: Int = 10): ProductConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
  }
  type ProductConnection { edges: [ProductEdge!]! totalCount: Int! }
  type ProductEdge { node: Product! }
  type Product { id: ID! name: String! variants: [Variant!]! @listSize(assumedSize: 100) stock: Int! @cost(weight: 101) }
  type Variant { id: ID! sku: String! }
`);
const sizes = listSizesOf(schema);

/** The operation's measure and what its answer actually cost. */
function costs(query: string, result: ExecutedResult) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const measured = measureOperation(document, operation, {}, sizes).cost;
  return { measured, actual: actualOperationCost(document, operation, result, measured, sizes) };
}

const variant = (i: number) => ({ id: `v${i}`, sku: `S${i}` });

describe("actual operation cost: what an answer cost, in the measure's unit", () => {
  it("counts a missing product as its null, and a found one as what it returned", () => {
    const query = `{ product(id: "p") { id variants { id sku } } }`;
    assert.deepEqual(costs(query, { data: { product: null } }), { measured: 1 + 1 + 1 + 100 * 2, actual: 1 });
    assert.equal(costs(query, { data: { product: { id: "p", variants: [variant(1), variant(2)] } } }).actual, 1 + 1 + 1 + 2 * 2);
  });

  it("charges a weighted field its weight wherever it is present, and a connection's edges one each", () => {
    const query = `{ products(first: 3) { totalCount edges { node { id stock } } } }`;
    const node = (i: number) => ({ node: { id: `p${i}`, stock: i } });
    const full = costs(query, { data: { products: { totalCount: 3, edges: [node(1), node(2), node(3)] } } });
    assert.equal(full.actual, full.measured, "a full page costs its measure");
    assert.equal(costs(query, { data: { products: { totalCount: 1, edges: [node(1)] } } }).actual, 1 + 1 + 1 + 1 + 1 + 102);
  });

  it("counts aliases, fragments and __typename on what each selection received, never below the measure's unit", () => {
    const query = `{ a: product(id: "1") { ...F __typename } b: product(id: "2") { ...F ... on Product { id } } } fragment F on Product { id name }`;
    const answer = { a: { id: "1", name: "A", __typename: "Product" }, b: { id: "2", name: "B" } };
    // a: 1 + id + name + __typename; b: 1 + id + name + id (selected twice, counted twice as measured).
    assert.equal(costs(query, { data: answer }).actual, 4 + 4);
    assert.equal(costs(query, { data: { a: null, b: null } }).actual, 2);
  });

  it("never exceeds the measure however the answer is padded, and stops walking there", () => {
    const query = `{ product(id: "p") { variants { id } } }`;
    const padded = { product: { variants: Array.from({ length: 100_000 }, (_, i) => ({ id: `v${i}` })) } };
    const { measured, actual } = costs(query, { data: padded });
    assert.equal(actual, measured);
  });

  it("charges the full measure when an error nulled resolved work, or there is no data", () => {
    const query = `{ product(id: "p") { id variants { id sku } } }`;
    assert.equal(costs(query, { data: { product: null }, errors: [{ path: ["product", "variants", 0, "sku"] }] }).actual, 203);
    assert.equal(costs(query, { errors: [{}] }).actual, 203);
    assert.equal(costs(query, { data: null }).actual, 203);
    // The product's own error (not found, not allowed) is its null: charged as the null.
    assert.equal(costs(query, { data: { product: null }, errors: [{ path: ["product"] }] }).actual, 1);
  });
});
