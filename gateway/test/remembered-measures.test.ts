import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildSchema, parse, type OperationDefinitionNode } from "graphql";
import { listSizesOf } from "../src/security/list-sizes.js";
import { measureOperation } from "../src/security/measure-operation.js";
import { createRememberedMeasures } from "../src/security/remembered-measures.js";

const sizes = listSizesOf(
  buildSchema(`directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!]) on FIELD_DEFINITION
    type Query { products(first: Int = 20, last: Int): [P!]! @listSize(slicingArguments: ["first", "last"]) product(id: ID!): P }
    type P { id: ID! name: String! variants: [V!]! @listSize(assumedSize: 100) } type V { id: ID! }`),
);

const operationOf = (query: string) => {
  const document = parse(query);
  return [document, document.definitions[0] as OperationDefinitionNode] as const;
};

describe("measures remembered per operation and page sizes", () => {
  it("measures a text once for the same page sizes, whatever else its variables hold", () => {
    const measure = createRememberedMeasures(sizes);
    const [document, operation] = operationOf(`query($id: ID!, $n: Int) { product(id: $id) { id } products(first: $n) { id name } }`);
    const first = measure(document, operation, { id: "p-1", n: 5 });
    assert.equal(measure(document, operation, { id: "p-2", n: 5 }), first, "another product, the same page: the same measure");
    assert.deepEqual(first, measureOperation(document, operation, { id: "p-1", n: 5 }, sizes));
  });

  it("measures afresh, as measureOperation does, for every page size a request gives differently", () => {
    const measure = createRememberedMeasures(sizes);
    const [document, operation] = operationOf(`query($n: Int = 7, $m: Int) { products(first: $n, last: $m) { id variants { id } } }`);
    const variableSets: Record<string, unknown>[] = [{ n: 5 }, { n: 50 }, {}, { n: null }, { n: "5" }, { n: 5, m: 60 }, { n: 5 }, { m: 3 }, {}, { n: 50 }, { n: 5.5 }];
    for (const variables of variableSets) {
      const fresh = measureOperation(document, operation, variables, sizes);
      assert.deepEqual(measure(document, operation, variables), fresh, JSON.stringify(variables));
    }
  });

  it("keeps at most eight page sizes of one operation, the latest", () => {
    const measure = createRememberedMeasures(sizes);
    const [document, operation] = operationOf(`query($n: Int) { products(first: $n) { id } }`);
    const kept = Array.from({ length: 9 }, (_, n) => measure(document, operation, { n: n + 1 }));
    assert.equal(measure(document, operation, { n: 9 }), kept[8]);
    assert.equal(measure(document, operation, { n: 2 }), kept[1]);
    assert.notEqual(measure(document, operation, { n: 1 }), kept[0], "the oldest was let go");
    assert.equal(measure(document, operation, { n: 1 }).cost, kept[0]!.cost);
  });
});
