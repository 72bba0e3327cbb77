import type { GraphQLResolveInfo } from "graphql";
import { isUnjudgedFragment, selectedFields } from "#kernel";
import { FACET_NAMES, type SearchCounts } from "../ports/search-index.js";

/**
 * The counts a `search` field's selection reads: `totalCount` (or whether it is exact), and which of `facets { … }`,
 * through aliases and fragments. A fragment the document does not define counts as selecting
 * everything beneath it, so a doubt costs work, never an answer.
 */
export function selectedCounts(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">): SearchCounts {
  const result = selectedFields(info.fieldNodes.map((field) => field.selectionSet), info.fragments);
  const unjudged = result.some((field) => isUnjudgedFragment(field.name.value));
  const facetFields = result.filter((field) => field.name.value === "facets");
  const facets = selectedFields(facetFields.map((field) => field.selectionSet), info.fragments);
  const everyFacet = unjudged || facets.some((field) => isUnjudgedFragment(field.name.value));
  // Whether the counts are exact is known by counting: it asks for the (capped) total.
  const exactness = result.some((field) => field.name.value === "totalCountIsExact") || facets.some((field) => field.name.value === "countsAreExact");
  return {
    total: unjudged || exactness || result.some((field) => field.name.value === "totalCount"),
    facets: new Set(FACET_NAMES.filter((facet) => everyFacet || facets.some((field) => field.name.value === facet))),
  };
}
