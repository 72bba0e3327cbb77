import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { operationFromDocument, Supergraph } from "@apollo/federation-internals";
import { computeResponse } from "@apollo/gateway/dist/resultShaping.js";
import { SUPERGRAPH_PATH } from "../../schema/subgraphs.js";
import { ResponseShape } from "../src/execution/response-shape.js";

const apiSchema = Supergraph.build(readFileSync(SUPERGRAPH_PATH, "utf8")).apiSchema();

describe("a compiled response shape's memory", () => {
  it("remembers which fragments apply only for the schema's own types, however many names subgraph answers make up", () => {
    // At the root, the merged answer's __typename is whatever a subgraph's root answer held.
    const operation = operationFromDocument(apiSchema, parse(`{ ... on Query { product(id: "p") { id name } } }`), { validate: false });
    const shape = ResponseShape.compile(operation);
    const answer = (typename: string) => ({ __typename: typename, product: { __typename: "Product", id: "p", name: "Lamp" } });
    assert.equal(JSON.stringify(shape.shape(answer("Query"), {})?.data), JSON.stringify({ product: { id: "p", name: "Lamp" } }));
    for (let i = 0; i < 1_000; i++) {
      const shaped = shape.shape(answer(`Made${i}`), {});
      // Byte for byte what the stock shaping answers for a name no type has.
      const stock = computeResponse({ operation, variables: {}, input: answer(`Made${i}`), introspectionHandling: () => null });
      assert.equal(JSON.stringify(shaped?.data), JSON.stringify(stock.data), `Made${i}`);
    }
    assert.equal(shape.typesRemembered(), 1, "only Query: the thousand made-up names were not kept");
  });
});
