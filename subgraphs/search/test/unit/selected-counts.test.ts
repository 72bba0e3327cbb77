import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql";
import { selectedCounts } from "../../src/resolvers/selected-counts.js";

/** The resolve info of the first root field of `query`, as graphql-js hands it to a resolver. */
function infoOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

const counts = (query: string) => {
  const { total, facets } = selectedCounts(infoOf(query));
  return { total, facets: [...facets].sort() };
};

describe("the counts a search selection reads", () => {
  it("reads none for a page of hits alone", () => {
    assert.deepEqual(counts(`{ search(query: "a") { edges { node { id name } } pageInfo { hasNextPage } typosForgiven } }`), { total: false, facets: [] });
  });

  it("reads the total and the facets selected, by field name whatever the alias", () => {
    assert.deepEqual(counts(`{ search(query: "a") { n: totalCount facets { b: brands { value } priceRanges { count } } } }`), { total: true, facets: ["brands", "priceRanges"] });
  });

  it("counts the total when only whether the counts are exact is selected", () => {
    assert.deepEqual(counts(`{ search(query: "a") { totalCountIsExact } }`), { total: true, facets: [] });
    assert.deepEqual(counts(`{ search(query: "a") { facets { countsAreExact brands { value } } } }`), { total: true, facets: ["brands"] });
  });

  it("looks through named and inline fragments, at both levels", () => {
    const query = `{ search(query: "a") { ...Counts facets { ... on SearchFacets { options { name } } } } }
      fragment Counts on SearchResult { totalCount facets { ...Categories } }
      fragment Categories on SearchFacets { categories { value } }`;
    assert.deepEqual(counts(query), { total: true, facets: ["categories", "options"] });
  });

  it("counts a field under @skip or @include as selected", () => {
    assert.deepEqual(counts(`query($x: Boolean!) { search(query: "a") { totalCount @include(if: $x) facets @skip(if: $x) { brands { value } } } }`), { total: true, facets: ["brands"] });
  });

  it("makes every count when a fragment cannot be looked into", () => {
    const info = infoOf(`{ search(query: "a") { ...Missing } }`);
    const { total, facets } = selectedCounts(info);
    assert.deepEqual({ total, facets: [...facets].sort() }, { total: true, facets: ["brands", "categories", "options", "priceRanges"] });
  });
});
