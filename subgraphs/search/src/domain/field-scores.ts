/**
 * What a matched word scores in each field of a product, most telling first: the same in every
 * index. A word scores its field's number wherever else it appears in the catalog, so a
 * product's score depends on the product and the words only (see recency-rank.ts for what
 * breaks ties). The smallest difference between two sums is 0.5, which RECENCY_WEIGHT stays under.
 */
export const FIELD_SCORES = { name: 4, brand: 2, category: 1.5, attributes: 1, description: 0.5 } as const;

export type RankedField = keyof typeof FIELD_SCORES;
