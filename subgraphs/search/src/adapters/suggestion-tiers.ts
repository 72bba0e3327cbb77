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
 * The index holds one document per distinct name (suggestion-names.ts), so the first `limit`
 * documents of each tier are all that tier can give: one multi-search answers a keystroke.
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
export function tierPageBody(tier: SuggestionTier, size: number) {
  return {
    size,
    ...ENGINE_TIME_LIMIT,
    stored_fields: "_none_",
    track_total_hits: false,
    query: { bool: { filter: [tier.filter] } },
    sort: SUGGESTION_ORDER.map((key) => ({ [key.field]: key.order })),
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
 * The first `limit` names for a typed text, best first, read tier by tier; undefined when the
 * text has too many tiers (the caller then asks the scored query). The first page of every tier
 * goes in one multi-search: each stops after its first hits, so a tier nobody needs costs
 * little, where asking tier after tier cost a round trip per empty tier.
 */
export async function readSuggestionTiers(typed: TypedText, limit: number, searches: SuggestionSearches): Promise<ProductSuggestion[] | undefined> {
  const tiers = suggestionTiers(typed);
  if (!tiers) return undefined;
  if (tiers.length === 0 || limit <= 0) return [];
  const pages = (await searches(tiers.map((tier) => tierPageBody(tier, limit)))).map(parseTierPage);
  const found: ProductSuggestion[] = [];
  for (const [t, tier] of tiers.entries()) {
    for (const hit of pages[t]!) {
      found.push({ productId: hit.id, quality: tier.score, popularity: hit.popularity, text: hit.name });
      if (found.length === limit) return found;
    }
  }
  return found;
}
