import { normaliseSlug } from "../categories/category.js";

/** The spans a ranking covers; the API's TrendingWindow enum. */
export type TrendingWindow = "LAST_HOUR" | "LAST_DAY";

/**
 * A window is a run of time buckets ending with the current one: LAST_HOUR sums 60 one-minute
 * buckets, LAST_DAY 24 one-hour buckets. A view therefore counts for between 59 and 60 minutes
 * (23 and 24 hours), and leaves the ranking when its bucket leaves the run: nothing is ever
 * recounted or subtracted. Coarser buckets for the day keep a query at 24 sets, not 1,440.
 */
interface WindowShape {
  tier: string;
  bucketMs: number;
  buckets: number;
}

const SHAPES: Record<TrendingWindow, WindowShape> = {
  LAST_HOUR: { tier: "m", bucketMs: 60_000, buckets: 60 },
  LAST_DAY: { tier: "h", bucketMs: 3_600_000, buckets: 24 },
};

export const TRENDING_WINDOWS = Object.keys(SHAPES) as TrendingWindow[];

/** The longest a view can count in any window: older views are ignored, and marks kept this long. */
export const LONGEST_WINDOW_MS = Math.max(...Object.values(SHAPES).map((shape) => shape.bucketMs * shape.buckets));

/** A bucket's set lives one bucket beyond the last moment a window can include it. */
const EXPIRY_SLACK_BUCKETS = 1;

/** The ranking of every product, or of one category's (stored per leaf category a product is in). */
export type RankingScope = { all: true } | { category: string };

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The category a view counts in, or undefined for a product whose category is no slug. */
export function viewCategory(category: string): string | undefined {
  const slug = normaliseSlug(category);
  return slug.length > 0 && slug.length <= 64 && SLUG.test(slug) ? slug : undefined;
}

const scopeSegment = (scope: RankingScope) => ("all" in scope ? "all" : `c:${scope.category}`);
/** The default namespace of every trending key in the key-value store. */
export const TRENDING_KEY_PREFIX = "trending";

const bucketKey = (prefix: string, shape: WindowShape, scope: RankingScope, index: number) => `${prefix}:${shape.tier}:${scopeSegment(scope)}:${index}`;

/** One sorted-set increment a view makes: which set, and how long that set must live from now. */
export interface ViewIncrement {
  key: string;
  ttlMs: number;
}

/**
 * The bucket sets a view at `viewedAt` counts in, in every window still covering it at `now`:
 * the whole catalog's and its category's. Empty when the view is older than every window.
 * A view stamped in the future (a skewed clock) counts as happening now.
 */
export function incrementsOfView(viewedAtMs: number, category: string | undefined, nowMs: number, prefix = TRENDING_KEY_PREFIX): ViewIncrement[] {
  const at = Math.min(viewedAtMs, nowMs);
  const increments: ViewIncrement[] = [];
  for (const shape of Object.values(SHAPES)) {
    const index = Math.floor(at / shape.bucketMs);
    const expiresAt = (index + 1 + shape.buckets - 1 + EXPIRY_SLACK_BUCKETS) * shape.bucketMs;
    // The window starting at the current bucket no longer reaches this one.
    if (index <= Math.floor(nowMs / shape.bucketMs) - shape.buckets) continue;
    const scopes: RankingScope[] = category ? [{ all: true }, { category }] : [{ all: true }];
    for (const scope of scopes) increments.push({ key: bucketKey(prefix, shape, scope, index), ttlMs: expiresAt - nowMs });
  }
  return increments;
}

/** The sets a ranking of `window` sums at `now`: its buckets, for each category of `categories` or for all. */
export function rankingKeys(window: TrendingWindow, categories: readonly string[] | undefined, nowMs: number, prefix = TRENDING_KEY_PREFIX): string[] {
  const shape = SHAPES[window];
  const current = Math.floor(nowMs / shape.bucketMs);
  const scopes: RankingScope[] = categories ? categories.map((category) => ({ category })) : [{ all: true }];
  return scopes.flatMap((scope) => Array.from({ length: shape.buckets }, (_, i) => bucketKey(prefix, shape, scope, current - i)));
}
