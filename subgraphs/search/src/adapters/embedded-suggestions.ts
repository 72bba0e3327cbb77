import type { FacetValue, FacetValues, ProductSuggestion, SearchDocument } from "../ports/search-index.js";
import { NAME_START_BONUS, phraseOf, wordQuality, wordsOf, type TypedText } from "../domain/suggestion-match.js";

interface Entry {
  name: string;
  phrase: string;
  words: string[];
  popularity: number;
  brand: string;
  category: string;
}

type Tally = Map<string, { products: number; popularity: number }>;

function count(tally: Tally, value: string, products: number, popularity: number): void {
  const current = tally.get(value) ?? { products: 0, popularity: 0 };
  const next = { products: current.products + products, popularity: current.popularity + popularity };
  if (next.products <= 0) tally.delete(value);
  else tally.set(value, next);
}

const values = (tally: Tally): FacetValue[] => [...tally].map(([value, t]) => ({ value, products: t.products, popularity: t.popularity }));

/**
 * The embedded index's autocomplete: each distinct name word points at the products using it,
 * so a keystroke scans the word vocabulary (thousands of words, however many products) and
 * then only the products of the words that match.
 */
export class EmbeddedSuggestions {
  private readonly postings = new Map<string, Set<string>>();
  private readonly entries = new Map<string, Entry>();
  private readonly brands: Tally = new Map();
  private readonly categories: Tally = new Map();

  add(document: SearchDocument): void {
    this.remove(document.id);
    const words = [...new Set(wordsOf(document.name))];
    const entry = { name: document.name, phrase: phraseOf(document.name), words, popularity: document.popularity, brand: document.brand, category: document.category };
    this.entries.set(document.id, entry);
    for (const word of words) {
      let ids = this.postings.get(word);
      if (!ids) this.postings.set(word, (ids = new Set()));
      ids.add(document.id);
    }
    count(this.brands, entry.brand, 1, entry.popularity);
    count(this.categories, entry.category, 1, entry.popularity);
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    for (const word of entry.words) {
      const ids = this.postings.get(word);
      ids?.delete(id);
      if (ids?.size === 0) this.postings.delete(word);
    }
    count(this.brands, entry.brand, -1, -entry.popularity);
    count(this.categories, entry.category, -1, -entry.popularity);
  }

  suggest(typed: TypedText, limit: number): ProductSuggestion[] {
    if (typed.words.length === 0) return [];
    // Per typed word: the best quality each product's name reaches for it.
    const perWord = typed.words.map((typedWord) => {
      const best = new Map<string, number>();
      for (const [word, ids] of this.postings) {
        const quality = wordQuality(typedWord, word);
        if (quality === 0) continue;
        for (const id of ids) if ((best.get(id) ?? 0) < quality) best.set(id, quality);
      }
      return best;
    });
    const narrowest = perWord.reduce((a, b) => (b.size < a.size ? b : a));
    const byName = new Map<string, ProductSuggestion>();
    for (const id of narrowest.keys()) {
      let quality = 0;
      for (const best of perWord) {
        const q = best.get(id);
        if (q === undefined) {
          quality = 0;
          break;
        }
        quality += q;
      }
      if (quality === 0) continue;
      const entry = this.entries.get(id)!;
      if (entry.phrase.startsWith(typed.phrase)) quality += NAME_START_BONUS;
      const suggestion = { productId: id, text: entry.name, quality, popularity: entry.popularity };
      const held = byName.get(entry.name);
      if (!held || rank(suggestion, held) < 0) byName.set(entry.name, suggestion);
    }
    return [...byName.values()].sort(rank).slice(0, limit);
  }

  facetValues(): FacetValues {
    return { brands: values(this.brands), categories: values(this.categories) };
  }
}

/** The engines' order: score, popularity, name, id. */
function rank(a: ProductSuggestion, b: ProductSuggestion): number {
  return b.quality - a.quality || b.popularity - a.popularity || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0) || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);
}
