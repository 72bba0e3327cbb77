import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildSchema, parse, validate } from "graphql";
import { variableNameHint } from "../src/execution/misnamed-request-parts.js";

const schema = buildSchema(`type Query { product(id: ID): Int }`);

function hintsFor(query: string): string[] {
  return validate(schema, parse(query), undefined, { maxErrors: 10 }).map((error) => variableNameHint(error, schema)).filter((hint) => hint !== "");
}

describe("the hint for a variable used by another name than declared", () => {
  it("finds the declared name differing only in case among hundreds of declarations", () => {
    const many = Array.from({ length: 300 }, (_, i) => `$filler${i}: ID`).join(" ");
    const [hint] = hintsFor(`query P(${many} $productId: ID) { product(id: $productID) }`);
    assert.match(hint ?? "", /declares "\$productId"/);
  });

  it("suggests a near name among a handful, and gives a long unknown name the declaration to write instead of measuring it against every declared name", () => {
    assert.match(hintsFor(`query P($productId: ID) { product(id: $prodctId) }`)[0] ?? "", /declares "\$productId"/);
    const long = "x".repeat(100);
    const declared = Array.from({ length: 50 }, (_, i) => `$${"x".repeat(97)}${String(i).padStart(3, "0")}: ID`).join(" ");
    const [hint] = hintsFor(`query P(${declared}) { product(id: $${long}) }`);
    assert.match(hint ?? "", /Declare it in the operation's variables: query P\(\$x+…?: ID\)/);
  });
});
