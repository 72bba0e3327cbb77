import { badInput, decodeCursor, DomainError, encodeCursor, ErrorCode } from "#kernel";
import type { SearchSort, SortKey } from "../ports/search-index.js";

/**
 * What a search cursor carries: enough to continue in the order the page was made in, or to
 * say it cannot. A key means something only in the order it was taken from (a relevance score,
 * a price, a creation time), and under the rules that made it (a score under one ranking is no
 * position under another), so a cursor names both, and the format has a version.
 *
 * Version 1 (`{sort, key}`) named only the sort asked for. A relevance search without words
 * paged by score and id in the release before `orderOf`, and newest first since, so a version-1
 * relevance key read in another release was a position in the wrong order: pages skipped or
 * repeated without a word. Version 1 relevance cursors are refused (CURSOR_OUTDATED; the
 * client starts again without `after`); version 1 price and newest cursors mean the same as
 * ever and are read as version 2.
 */

/**
 * The ranking rules a relevance score comes from; a step when they change (field scores,
 * recency, the words' scoring), so cursors holding old scores are refused, not misread.
 * 2: words scored by field, newer first among equal matches (mapping 6).
 */
export const RANKING_VERSION = 2;

export interface SearchCursor {
  v: 2;
  /** The sort the caller asked for: a cursor continues that sort only. */
  sort: SearchSort;
  /** The order the pages come in (see `orderOf`): the order the key is a position in. */
  order: SearchSort;
  /** For a relevance order: the RANKING_VERSION its score was made under. */
  ranking?: number;
  key: SortKey;
}

const isSort = (value: unknown): value is SearchSort => value === "RELEVANCE" || value === "PRICE_ASC" || value === "PRICE_DESC" || value === "NEWEST";
const isKey = (value: unknown): value is SortKey => Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "string";

type AnyCursor = { v?: unknown; sort: SearchSort; order?: unknown; ranking?: unknown; key: SortKey };
const isAnyCursor = (value: unknown): value is AnyCursor => {
  const cursor = value as AnyCursor;
  return typeof cursor === "object" && cursor !== null && isSort(cursor.sort) && isKey(cursor.key);
};

const outdated = () =>
  new DomainError(ErrorCode.CURSOR_OUTDATED, "This cursor comes from an earlier version of search whose order no longer holds; start again without `after`", { field: "after" });

export function searchCursor(sort: SearchSort, order: SearchSort, key: SortKey): string {
  return encodeCursor({ v: 2, sort, order, ...(order === "RELEVANCE" ? { ranking: RANKING_VERSION } : {}), key } satisfies SearchCursor);
}

/**
 * The position `after` names, for a search asked in `sort` and paged in `order`. Refuses a
 * cursor of another sort or order (BAD_USER_INPUT), and one whose key is no position under
 * today's rules (CURSOR_OUTDATED): of an older format or ranking.
 */
export function positionAfter(after: string, sort: SearchSort, order: SearchSort): SortKey {
  const cursor = decodeCursor(after, isAnyCursor);
  if (cursor.sort !== sort) throw badInput("This cursor belongs to another sort order; start again without `after`", { field: "after" });
  if (cursor.v === undefined) {
    if (sort === "RELEVANCE") throw outdated();
    return cursor.key;
  }
  if (cursor.v !== 2) throw outdated();
  // Words or none decide the order (see orderOf): a cursor of a search with words is no position in one without.
  if (cursor.order !== order) throw badInput("This cursor belongs to another search; start again without `after`", { field: "after" });
  if (order === "RELEVANCE" && cursor.ranking !== RANKING_VERSION) throw outdated();
  return cursor.key;
}
