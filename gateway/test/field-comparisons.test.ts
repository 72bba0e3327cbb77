import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getIntrospectionQuery, parse } from "graphql";
import { documentFieldComparisons } from "../src/security/field-comparisons.js";
import { readGoldenOperations, readReleasedOperations } from "../../schema/golden-operations.js";

const comparisons = (query: string) => documentFieldComparisons(parse(query));
/** `parent` selected twice at each of `levels` levels, `slug` the leaves. */
const tree = (levels: number): string => (levels === 0 ? "slug" : `parent { ${tree(levels - 1)} } parent { ${tree(levels - 1)} }`);

describe("documentFieldComparisons", () => {
  it("counts nothing where no response name is selected twice in one selection set", () => {
    assert.equal(comparisons(`{ product(id: "p") { id name sku: id variants { id } } }`), 0);
    for (const { name, query } of [...readGoldenOperations(), ...readReleasedOperations()]) assert.equal(comparisons(query), 0, name);
    assert.equal(comparisons(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true })), 0);
  });

  it("counts two fields of one name as the product of the fields each selects, at every level", () => {
    // Two `a` of 3 fields each (a, b, c): 3 x 3 pairs.
    assert.equal(comparisons(`{ a: product(id: "p") { b: id c: id } a: product(id: "p") { b: id c: id } }`), 9);
    // Selected twice at each of 7 levels: what grows with the square of the text.
    assert.equal(comparisons(`{ category(slug: "c") { ${tree(7)} } }`), 70_591);
  });

  it("counts fields met through inline fragments and named fragments as fields of the selection set they are spread in", () => {
    // F's `variants` (3 fields) meets the inline fragment's (2): 6; F's two `x` meet once, at F.
    assert.equal(comparisons(`{ product(id: "p") { ...F ... on Product { variants { x: id } } } } fragment F on Product { variants { x: id x: id } }`), 6 + 1);
    // A and B meet at the root: 2 x 2.
    assert.equal(comparisons(`{ ...A ...B } fragment A on Query { a: product(id: "p") { id } } fragment B on Query { a: product(id: "p") { id } }`), 4);
  });

  it("counts a fragment's own pairs once, however often it is spread, and a fragment spread twice in one selection set once, as validation compares them", () => {
    const fragments = `fragment F on Query { a: product(id: "p") { id } a: product(id: "p") { id } } fragment G on Category { ${tree(1)} }`;
    const once = comparisons(`{ ...F c: category(slug: "c") { ...G } } ${fragments}`);
    assert.equal(once, 4 + 4, "F's two `a` (2 x 2), G's two `parent` (2 x 2)");
    assert.equal(comparisons(`{ ...F ...F ...F c: category(slug: "c") { ...G ...G } d: category(slug: "c") { ...G } } ${fragments}`), once);
  });

  it("counts every operation and fragment of the document, run or not", () => {
    const pair = `a: product(id: "p") { id } a: product(id: "p") { id }`;
    assert.equal(comparisons(`query A { __typename } query B { ${pair} } fragment F on Query { ${pair} }`), 8);
  });

  it("counts a fragment bomb in time linear in its text, saturated", () => {
    const levels = 500;
    const fragments = [`fragment F0 on Category { ${tree(1)} }`];
    for (let i = 1; i <= levels; i++) fragments.push(`fragment F${i} on Category { parent { ...F${i - 1} } parent { ...F${i - 1} } }`);
    assert.ok(comparisons(`{ category(slug: "c") { ...F${levels} } } ${fragments.join(" ")}`) >= 1e12);
  });
});
