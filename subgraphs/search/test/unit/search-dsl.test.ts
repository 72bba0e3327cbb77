import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FUZZINESS, searchBody } from "../../src/adapters/search-dsl.js";
import type { SearchRequest } from "../../src/ports/search-index.js";

const request = (forgiveTypos: boolean): SearchRequest => ({ text: "wireless headphones", filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos });

/** Every `fuzziness` setting anywhere in a body. */
function fuzzinessSettings(body: unknown): unknown[] {
  if (Array.isArray(body)) return body.flatMap(fuzzinessSettings);
  if (!body || typeof body !== "object") return [];
  return Object.entries(body).flatMap(([key, value]) => (key === "fuzziness" ? [value] : fuzzinessSettings(value)));
}

describe("search DSL: typos", () => {
  it("asks the engine for the words as typed, with no fuzzy clause at all", () => {
    assert.deepEqual(fuzzinessSettings(searchBody(request(false))), []);
  });

  it("forgives typos in both matching clauses and ranks fuzzy matches when asked", () => {
    assert.deepEqual(fuzzinessSettings(searchBody(request(true))), [FUZZINESS, FUZZINESS, FUZZINESS]);
  });
});
