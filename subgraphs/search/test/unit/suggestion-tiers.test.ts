import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { editDistance, matchQuality, MAX_WORD_PREFIX, phraseOf, typedText, wordsOf, type TypedText } from "../../src/domain/suggestion-match.js";
import { MAX_TIER_COMBINATIONS, readSuggestionTiers, suggestionTiers, type SuggestionSearches } from "../../src/adapters/suggestion-tiers.js";
import { EmbeddedSuggestions } from "../../src/adapters/embedded-suggestions.js";
import type { SearchDocument } from "../../src/ports/search-index.js";

type Filter = Record<string, any>;

/**
 * The engine's reading of the filters suggestion-tiers.ts writes, over one name: what each
 * field of the suggestion index holds (search-dsl.ts), in plain code.
 */
function passes(filter: Filter, name: string): boolean {
  const [kind, body] = Object.entries(filter)[0]!;
  if (kind === "bool") {
    const all = (filters: Filter[] = []) => filters.every((f) => passes(f, name));
    const should: Filter[] = body.should ?? [];
    return all(body.filter) && !(body.must_not ?? []).some((f: Filter) => passes(f, name)) && (should.length === 0 || should.some((f) => passes(f, name)));
  }
  // Tiers share their leaf filters (one per word level): each is read once per name.
  let byName = leaves.get(filter);
  if (!byName) leaves.set(filter, (byName = new Map()));
  let known = byName.get(name);
  if (known === undefined) byName.set(name, (known = leafPasses(kind, body, name)));
  return known;
}

const leaves = new WeakMap<Filter, Map<string, boolean>>();

function leafPasses(kind: string, body: any, name: string): boolean {
  const words = wordsOf(name);
  switch (kind) {
    case "term": {
      const [field, word] = Object.entries(body as Record<string, string>)[0]!;
      if (field === "name") return words.includes(word);
      if (field === "name.prefix") return word.length <= MAX_WORD_PREFIX && words.some((w) => w.startsWith(word));
      if (field === "name.infix") return word.length >= 3 && word.length <= 10 && words.some((w) => w.includes(word));
      throw new Error(`unknown term field ${field}`);
    }
    case "fuzzy": {
      const { value, fuzziness } = body["name.prefix"];
      // Every start (edge n-gram) of every word, within the edits allowed.
      return words.some((w) => Array.from({ length: Math.min(w.length, MAX_WORD_PREFIX) }, (_, i) => w.slice(0, i + 1)).some((start) => editDistance(value, start, fuzziness) <= fuzziness));
    }
    case "prefix": {
      const [field, phrase] = Object.entries(body as Record<string, string>)[0]!;
      assert.ok(field === "name.start" || field === "name.phrase", field);
      return phraseOf(name).startsWith(phrase);
    }
    default:
      throw new Error(`unknown filter ${kind}`);
  }
}

/** A seeded generator, so a failure shows the same case again. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const VOCABULARY = ["a", "air", "aire", "head", "headphones", "headlamp", "wireless", "wire", "lamp", "camp", "camping", "trail", "table", "tab", "pro", "professional", "phones", "phone", "x", "xl", "cast", "iron", "irons", "skillet", "café", "ear", "earbuds", "bear"];

function names(count: number, next: () => number): string[] {
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(next() * 4);
    return Array.from({ length }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]).join(next() < 0.2 ? " - " : " ");
  });
}

/** Texts as shoppers type them: starts of words, whole words, typos, several words. */
function typedTexts(next: () => number): TypedText[] {
  const texts = new Set<string>();
  for (const word of VOCABULARY) {
    for (let end = 1; end <= word.length; end++) texts.add(word.slice(0, end));
    texts.add(word.replace(/[aeiou]/, "o"));
    texts.add(word.slice(1));
  }
  for (let i = 0; i < 150; i++) {
    const pick = () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]!;
    const last = pick();
    texts.add(`${pick()} ${last.slice(0, 1 + Math.floor(next() * last.length))}`);
    if (i % 3 === 0) texts.add(`${pick()} ${pick()} ${pick().slice(0, 2)}`);
  }
  return [...texts].map(typedText).filter((typed) => typed.words.length > 0);
}

describe("suggestion tiers", () => {
  it("put every name in exactly the tier of its score, and no name that does not match in any", () => {
    const next = random(7);
    const catalog = names(150, next);
    let tiered = 0;
    for (const typed of typedTexts(next)) {
      const tiers = suggestionTiers(typed);
      if (!tiers) continue;
      tiered++;
      const scores = tiers.map((tier) => tier.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "best tier first");
      assert.equal(new Set(scores).size, scores.length, "one tier per score");
      for (const name of catalog) {
        const holding: number[] = tiers.filter((tier) => passes(tier.filter, name)).map((tier) => tier.score);
        const score = matchQuality(typed, name);
        assert.deepEqual(holding, score > 0 ? [score] : [], `"${typed.phrase}" and "${name}"`);
      }
    }
    assert.ok(tiered > 250, `${tiered} texts were tiered`);
  });

  it("leave text with too many combinations to the scored query", () => {
    assert.equal(suggestionTiers(typedText("headphones wireless camping")), undefined);
    assert.ok(suggestionTiers(typedText("headphones wireless"))!.length > 0);
    assert.ok(suggestionTiers(typedText("a b c d"))!.length > 0, "short words match exactly or as a start only");
    assert.equal(suggestionTiers(typedText("a b c d e")), undefined, `2 * 2^5 > ${MAX_TIER_COMBINATIONS}`);
  });
});

/**
 * An engine over the suggestion index the documents make: one document per distinct name
 * showing its best product (most sold, then lowest id), each tier page filtered, in the
 * index's order.
 */
function engineOver(documents: SearchDocument[], log: unknown[][]): SuggestionSearches {
  const best = new Map<string, SearchDocument>();
  for (const d of documents) {
    const held = best.get(d.name);
    if (!held || d.popularity > held.popularity || (d.popularity === held.popularity && d.id < held.id)) best.set(d.name, d);
  }
  const stored = [...best.values()].sort((a, b) => b.popularity - a.popularity || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.id < b.id ? -1 : 1));
  return async (bodies) => {
    log.push(bodies);
    return bodies.map((body: any) => {
      const matching = stored.filter((d) => passes(body.query.bool.filter[0], d.name));
      return { hits: { hits: matching.slice(0, body.size).map((d) => ({ sort: [d.popularity, d.name, d.id] })) } };
    });
  };
}

const document = (id: number, name: string, popularity: number): SearchDocument => ({
  id: `prod_${String(id).padStart(4, "0")}`,
  name,
  popularity,
  description: "",
  category: "c",
  brand: "b",
  attributes: [],
  priceAmount: 100,
  priceMax: 100,
  variants: [],
  optionFacets: [],
  currency: "EUR",
  createdAt: 0,
  version: 1,
});

describe("reading suggestion tiers", () => {
  it("gives the embedded index's suggestions, names distinct, on a catalog selling each name many times", async () => {
    const next = random(11);
    const distinct = names(60, next);
    // Every name sold as 1-40 products, mostly at one popularity: long runs of one name.
    const documents = distinct.flatMap((name, n) => Array.from({ length: 1 + Math.floor(next() * 40) }, (_, k) => document(n * 100 + k, name, next() < 0.8 ? 0 : Math.floor(next() * 3))));
    const embedded = new EmbeddedSuggestions();
    for (const d of documents) embedded.add(d);
    let compared = 0;
    for (const typed of typedTexts(next)) {
      for (const limit of [1, 8]) {
        const log: unknown[][] = [];
        const read = await readSuggestionTiers(typed, limit, engineOver(documents, log));
        if (!read) continue;
        compared++;
        assert.deepEqual(read, embedded.suggest(typed, limit), `"${typed.phrase}", first ${limit}`);
        assert.equal(log.length, 1, "one multi-search a keystroke");
        assert.equal(log[0]!.length, suggestionTiers(typed)!.length, "every tier's page in it");
      }
    }
    assert.ok(compared > 500, `${compared} compared`);
  });

  it("reads one page of each tier however many products sell each name", async () => {
    // Each name sold as 40 products at one popularity: a page of products would hold one name.
    const documents = Array.from({ length: 40 }, (_, n) => Array.from({ length: 40 }, (_, k) => document(n * 100 + k, `Lamp ${String(n).padStart(2, "0")}`, 0))).flat();
    const log: unknown[][] = [];
    const found = await readSuggestionTiers(typedText("lamp"), 30, engineOver(documents, log));
    assert.equal(found?.length, 30);
    assert.deepEqual(found?.slice(0, 3).map((s) => [s.text, s.productId]), [["Lamp 00", "prod_0000"], ["Lamp 01", "prod_0100"], ["Lamp 02", "prod_0200"]]);
    assert.equal(log.length, 1);
    assert.deepEqual((log[0] as { size: number }[]).map((body) => body.size), suggestionTiers(typedText("lamp"))!.map(() => 30));
  });
});
