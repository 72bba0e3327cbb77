import { badInput, type KeyValueStore } from "#kernel";
import type { CategoryService } from "../categories/category.service.js";
import { TRENDING_KEY_PREFIX, rankingKeys, type TrendingWindow } from "./trending-window.js";

export const MAX_TRENDING_FIRST = 50;

/**
 * Ids asked for beyond `first`: a product deleted since its views were counted is dropped when
 * hydrated, and the page should still be full.
 */
const SPARE = 10;

/**
 * Reads the trending rankings: one sorted-set union over the window's buckets (of every
 * category in the asked one's subtree), answered by the key-value store alone.
 */
export function createTrendingRanking(deps: { kv: KeyValueStore; categories: Pick<CategoryService, "find">; clock?: () => number; keyPrefix?: string }) {
  const clock = deps.clock ?? Date.now;
  const prefix = deps.keyPrefix ?? TRENDING_KEY_PREFIX;
  return {
    /**
     * Product ids, most viewed first, at most `first + SPARE`; equal counts in descending id
     * order. NOT_FOUND for an unknown category slug (any case), BAD_USER_INPUT for `first`
     * outside 1..50.
     */
    async top(window: TrendingWindow, categorySlug: string | null | undefined, first: number): Promise<string[]> {
      if (!Number.isInteger(first) || first < 1 || first > MAX_TRENDING_FIRST) throw badInput(`first must be 1 to ${MAX_TRENDING_FIRST}`, { field: "first" });
      let categories: string[] | undefined;
      if (categorySlug != null) {
        const { category, tree } = await deps.categories.find(categorySlug);
        categories = tree.subtree(category.slug);
      }
      const top = await deps.kv.topScores(rankingKeys(window, categories, clock(), prefix), first + SPARE);
      return top.map((entry) => entry.member);
    },
  };
}

export type TrendingRanking = ReturnType<typeof createTrendingRanking>;
