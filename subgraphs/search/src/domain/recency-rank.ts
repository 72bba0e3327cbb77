/**
 * How relevance breaks ties: among products matching the words equally well, the newer first.
 *
 * Why it is part of the score and not a second sort key: thousands of products may share the top
 * score (the same words in the same fields), and a tie broken by a second sort key must be read
 * and compared, every one of them, before the page is known. A score that rarely ties lets the
 * engine skip every match that cannot make the page (block-max WAND): at 1,000,000 products the
 * page then costs what a page ordered by score alone costs (BENCHMARKS.md, "Scores that rarely
 * tie"). Ties that remain are few and still broken by id, so pages stay total and stable.
 *
 * Why recency and not units sold: a score must not change while a shopper pages through, or the
 * product moves across the cursor and is skipped or shown twice. A product's creation time never
 * changes; its sales change with every order.
 *
 * The engines keep a rank feature with 9 significant bits (0.4% steps). Recency counted from a
 * fixed day would step by 0.4% of the age: ten days in 2026, more every year. So the time is
 * put in the exponent instead: `2^(126 · fraction of RECENCY_SPAN)`, and the score adds
 * `RECENCY_WEIGHT · ln(1 + feature)`, which is close to linear in time. Every 0.4% step is then
 * the same stretch of time (the span over 32,256 steps: about 7 hours), whenever a product was
 * made.
 */

/** The times recency tells apart; a product made outside it ranks as made at its nearer end. */
export const RECENCY_SPAN = { from: Date.UTC(2020, 0, 1), to: Date.UTC(2045, 0, 1) } as const;

/** The exponent at the span's end: 2^126 is the largest power of two a float holds as a normal number with room to spare. */
const MAX_EXPONENT = 126;

/**
 * Weight of `ln(1 + feature)` in a relevance score. Words are scored per field matched
 * (FIELD_SCORES), so two different matches differ by at least 0.5; the whole span of recency adds at most 126 · ln 2 · 0.005 ≈ 0.44, so recency orders
 * equally good matches only and never lifts a weaker match above a better one.
 */
export const RECENCY_WEIGHT = 0.005;

/** The rank feature stored for a product made at `createdAt` (epoch milliseconds): 1 to 2^126. */
export function recencyFeature(createdAt: number): number {
  const fraction = Math.min(1, Math.max(0, (createdAt - RECENCY_SPAN.from) / (RECENCY_SPAN.to - RECENCY_SPAN.from)));
  return 2 ** (fraction * MAX_EXPONENT);
}

/** What recency adds to a relevance score, as the engines compute it from the stored feature. */
export const recencyScore = (createdAt: number): number => RECENCY_WEIGHT * Math.log1p(recencyFeature(createdAt));
