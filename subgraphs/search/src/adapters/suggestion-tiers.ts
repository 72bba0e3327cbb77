/**
 * Autocomplete on the suggestion index (search-dsl.ts suggestionIndexDefinition) without
 * scoring a single match.
 *
 * A name's score (suggestion-match.ts) is fixed by two facts per keystroke: whether the name
 * starts with what was typed, and how well each typed word matches at best (exact, start,
 * inside, typo'd). Each combination of those facts is a filter, and every name passing one has
 * the same score. So the matches are asked for tier by tier, best score first, each tier sorted
 * the way the index stores its documents (popularity, name, id): the engine then stops each
 * segment after the first hits instead of scoring, sorting and collapsing every match (a
 * one-letter prefix matches most of a catalog). The order is the scoring query's (suggestBody)
 * exactly: score, then popularity, name and id.
 *
 * Names are distinct in a suggestion list; the index holds one document per product, so a name
 * sold as many products comes up many times in a row. A page whose last name was already taken
 * is followed by one read starting after that name's last product (search_after).
 */
import type { ProductSuggestion } from "../ports/search-index.js";
import { NAME_START_BONUS, type TypedText } from "../domain/suggestion-match.js";
import { NAME_START_PREFIX, SUGGESTION_ORDER } from "./search-dsl.js";
import { ENGINE_TIME_LIMIT, refuseTimedOut } from "./search-time-limit.js";
import { wordLevels } from "./suggest-dsl.js";

type Filter = Record<string, unknown>;

/** Every name passing `filter` scores `score`. */
export interface SuggestionTier {
  score: number;
  filter: Filter;
}

/**
 * Combinations of word levels (and starting the name or not) beyond which the typed text is
 * asked as one scored query instead: that many filters cost the engine more than they save,
 * and text that specific matches few names.
 */
export const MAX_TIER_COMBINATIONS = 32;

/** Reads one suggestion may take (pages and follow-ups); past it the scored query answers. */
export const MAX_SUGGESTION_READS = 24;

/** Sorts after every product id: search_after it skips the rest of a name's products at one popularity. */
const PAST_EVERY_ID = "\u{10FFFF}";

/** The tiers of a typed text, best score first; undefined when there would be too many. */
export function suggestionTiers(typed: TypedText): SuggestionTier[] | undefined {
  if (typed.words.length === 0) return [];
  // A word's level i holds the names whose best match for it is level i: it matches so, and
  // no better.
  const perWord = typed.words.map((word) => {
    const levels = wordLevels(word);
    return levels.map((level, i) => ({
      quality: level.quality,
      filter: i === 0 ? level.filter : { bool: { filter: [level.filter], must_not: levels.slice(0, i).map((better) => better.filter) } },
    }));
  });
  const combinations = perWord.reduce((count, levels) => count * levels.length, 2);
  if (combinations > MAX_TIER_COMBINATIONS) return undefined;

  const startsName = nameStartFilter(typed);
  const byScore = new Map<number, Filter[]>();
  for (const choice of cartesian(perWord)) {
    const wordsScore = choice.reduce((sum, level) => sum + level.quality, 0);
    const filters = choice.map((level) => level.filter);
    add(byScore, NAME_START_BONUS + wordsScore, { bool: { filter: [...filters, startsName] } });
    add(byScore, wordsScore, { bool: { filter: filters, must_not: [startsName] } });
  }
  return [...byScore]
    .sort(([a], [b]) => b - a)
    .map(([score, filters]) => ({ score, filter: filters.length === 1 ? filters[0]! : { bool: { should: filters, minimum_should_match: 1 } } }));
}

/** Names whose words start with the typed words in order: one term of `name.start` when short enough. */
function nameStartFilter(typed: TypedText): Filter {
  return typed.phrase.length <= NAME_START_PREFIX ? { prefix: { "name.start": typed.phrase } } : { prefix: { "name.phrase": typed.phrase } };
}

function add(byScore: Map<number, Filter[]>, score: number, filter: Filter): void {
  const filters = byScore.get(score);
  if (filters) filters.push(filter);
  else byScore.set(score, [filter]);
}

function* cartesian<T>(lists: T[][], prefix: T[] = []): Generator<T[]> {
  if (prefix.length === lists.length) {
    yield prefix;
    return;
  }
  for (const item of lists[prefix.length]!) yield* cartesian(lists, [...prefix, item]);
}

/** One page of a tier in the index's own order, scoring nothing and counting nothing. */
export function tierPageBody(tier: SuggestionTier, size: number, after?: readonly unknown[]) {
  return {
    size,
    ...ENGINE_TIME_LIMIT,
    stored_fields: "_none_",
    track_total_hits: false,
    query: { bool: { filter: [tier.filter] } },
    sort: SUGGESTION_ORDER.map((key) => ({ [key.field]: key.order })),
    ...(after ? { search_after: after } : {}),
  };
}

interface TierHit {
  popularity: number;
  name: string;
  id: string;
}

export function parseTierPage(body: unknown): TierHit[] {
  refuseTimedOut(body);
  return (body as { hits: { hits: { sort: unknown[] }[] } }).hits.hits.map(({ sort }) => ({ popularity: Number(sort[0] ?? 0), name: String(sort[1] ?? ""), id: String(sort[2]) }));
}

/** Runs searches on the suggestion index: all at once (one multi-search), answers in order. */
export type SuggestionSearches = (bodies: unknown[]) => Promise<unknown[]>;

/**
 * The first `limit` distinct names for a typed text, best first, read tier by tier; undefined
 * when the text has too many tiers or the names take more than MAX_SUGGESTION_READS reads
 * (the caller then asks the scored query). The first page of every tier goes in one
 * multi-search: each stops after its first hits, so a tier nobody needs costs little, where
 * asking tier after tier cost a round trip per empty tier.
 */
export async function readSuggestionTiers(typed: TypedText, limit: number, searches: SuggestionSearches): Promise<ProductSuggestion[] | undefined> {
  const tiers = suggestionTiers(typed);
  if (!tiers) return undefined;
  if (tiers.length === 0 || limit <= 0) return [];
  const pageSize = Math.max(limit, 8);
  const firstPages = (await searches(tiers.map((tier) => tierPageBody(tier, pageSize)))).map(parseTierPage);
  let reads = tiers.length;
  const found: ProductSuggestion[] = [];
  const taken = new Set<string>();
  for (const [t, tier] of tiers.entries()) {
    let page = firstPages[t]!;
    for (;;) {
      for (const hit of page) {
        if (taken.has(hit.name)) continue;
        taken.add(hit.name);
        found.push({ productId: hit.id, quality: tier.score, popularity: hit.popularity, text: hit.name });
        if (found.length === limit) return found;
      }
      if (page.length < pageSize) break;
      if (++reads > MAX_SUGGESTION_READS) return undefined;
      const last = page[page.length - 1]!;
      page = (await searches([tierPageBody(tier, pageSize, [last.popularity, last.name, PAST_EVERY_ID])])).map(parseTierPage)[0] ?? [];
    }
  }
  return found;
}
