import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { suggestCompletions, type RankedSuggestion } from "../src/domain/autocomplete.js";
import { typedText } from "../src/domain/suggestion-match.js";
import type { SearchDocument, SearchIndex } from "../src/ports/search-index.js";
import { JUDGED_SUGGESTIONS, type SuggestionJudgment } from "./judged-queries.js";

const nameOf = (s: RankedSuggestion) => (s.kind === "PRODUCT" ? s.productId : `${s.kind}:${s.value}`);

/** Checks one autocomplete judgment against an index loaded with the judged catalog. */
export async function checkSuggestionJudgment(index: SearchIndex, judgment: SuggestionJudgment, catalog: Map<string, SearchDocument>): Promise<void> {
  const suggestions = await suggestCompletions(index, judgment.prefix, { limit: judgment.first ?? 8 });
  const names = suggestions.map(nameOf);
  const shown = () => suggestions.map((s) => `${nameOf(s)} ${s.text}`).join(", ");
  if (judgment.top) assert.deepEqual(names.slice(0, judgment.top.length), judgment.top, `suggestions were ${shown()}`);
  if (judgment.topSet) assert.deepEqual(names.slice(0, judgment.topSet.length).sort(), [...judgment.topSet].sort(), `suggestions were ${shown()}`);
  if (judgment.total !== undefined) assert.equal(suggestions.length, judgment.total, `suggestions were ${shown()}`);
  for (const s of suggestions) {
    if (s.kind !== "PRODUCT") continue;
    assert.equal(catalog.get(s.productId)?.name, s.text, "a product suggestion shows that product's name");
    if (judgment.everyNameIncludes) assert.ok(s.text.includes(judgment.everyNameIncludes), `${s.text} lacks ${judgment.everyNameIncludes}`);
  }
  if (judgment.order) {
    const texts = suggestions.map((s) => s.text);
    const lastFirst = texts.findLastIndex((t) => judgment.order!.first.test(t));
    const firstThen = texts.findIndex((t) => judgment.order!.then.test(t));
    assert.ok(lastFirst >= 0, `nothing matching ${judgment.order.first}: ${shown()}`);
    if (firstThen >= 0) assert.ok(lastFirst < firstThen, `${judgment.order.then} before ${judgment.order.first}: ${shown()}`);
  }
  assert.equal(new Set(suggestions.map((s) => s.text)).size, suggestions.length, "no name twice");
}

/** Autocomplete's guarantees on an index holding the judged catalog (`index()` once loaded). */
export function defineAutocompleteChecks(index: () => SearchIndex, catalog: Map<string, SearchDocument>): void {
  describe("judged suggestions", () => {
    for (const judgment of JUDGED_SUGGESTIONS) it(judgment.name, () => checkSuggestionJudgment(index(), judgment, catalog));
  });

  it("suggests the same for a prefix with wildcard or regex characters as without, and nothing for none", async () => {
    const plain = await suggestCompletions(index(), "cast ir", { limit: 8 });
    for (const hostile of ["cast* ir?", "cast.* ir", "[cast] (ir", "cast\\ ir/", "\"cast\" ~ir^", "cast ir 🎧"]) {
      assert.deepEqual(await suggestCompletions(index(), hostile, { limit: 8 }), plain, hostile);
    }
    for (const nothing of ["", "   ", ".*", "*", "?", "🎧🎧", "\\", "%_%", "{{}}"]) {
      assert.deepEqual(await suggestCompletions(index(), nothing, { limit: 8 }), [], JSON.stringify(nothing));
    }
  });

  it("answers long and many-worded input within bounds: extra words are ignored, long words match whole only", async () => {
    const plain = await suggestCompletions(index(), "cast ir", { limit: 8 });
    assert.deepEqual(await suggestCompletions(index(), `cast ir ${"cast ".repeat(6)}zzzz`, { limit: 8 }), plain, "a ninth word is not read");
    const long = "x".repeat(2_000);
    assert.deepEqual(await index().suggestProducts(typedText(long), 8), []);
    assert.deepEqual(await index().suggestProducts(typedText(`${"headphones ".repeat(500)}`), 8).then((s) => s.length), 4);
  });

  it("offers only the kinds asked for", async () => {
    const products = await suggestCompletions(index(), "kitch", { limit: 8, kinds: ["PRODUCT"] });
    assert.ok(products.length > 0 && products.every((s) => s.kind === "PRODUCT"));
    const brands = await suggestCompletions(index(), "kitch", { limit: 8, kinds: ["BRAND"] });
    assert.deepEqual(brands, [{ kind: "BRAND", text: "Ember Kitchen", value: "Ember Kitchen" }]);
    assert.deepEqual(await suggestCompletions(index(), "kitch", { limit: 8, kinds: [] }), []);
  });

  it("counts every brand and category with its products and units sold", async () => {
    const { brands, categories } = await index().facetValues();
    const expected = (field: "brand" | "category") => {
      const tally = new Map<string, { products: number; popularity: number }>();
      for (const d of catalog.values()) {
        const t = tally.get(d[field]) ?? { products: 0, popularity: 0 };
        tally.set(d[field], { products: t.products + 1, popularity: t.popularity + d.popularity });
      }
      return [...tally].map(([value, t]) => ({ value, ...t })).sort((a, b) => (a.value < b.value ? -1 : 1));
    };
    const sorted = <T extends { value: string }>(values: T[]) => [...values].sort((a, b) => (a.value < b.value ? -1 : 1));
    assert.deepEqual(sorted(brands), expected("brand"));
    assert.deepEqual(sorted(categories), expected("category"));
  });
}
