/**
 * One bound on every read a search or a suggestion makes the engine do, whatever it asks.
 *
 * The engine is told to stop at SEARCH_TIME_LIMIT_MS (`timeout`: it checks while it walks term
 * dictionaries and collects matches, counts included) and then answers with what it has,
 * marked `timed_out`. Partial hits or counts would be wrong answers given as right ones, so
 * such an answer is refused (QUERY_TOO_COMPLEX). The client waits a little longer than the
 * limit (rewriting a query and sending the answer are not timed) and never retries a search
 * that ran out of time: the client library retried a timed-out request twice, and each try ran
 * the whole search again while the engine still worked on the first.
 */
import { DomainError, ErrorCode } from "#kernel";

export const SEARCH_TIME_LIMIT_MS = 2_000;

/** What a search body carries to be stopped at the limit. */
export const ENGINE_TIME_LIMIT = { timeout: `${SEARCH_TIME_LIMIT_MS}ms` } as const;

/** How long the client waits for a search answer before it gives up (closing the connection cancels the search). */
export const SEARCH_CLIENT_WAIT_MS = SEARCH_TIME_LIMIT_MS + 1_000;

/** Refuses an answer the engine cut at the time limit. */
export function refuseTimedOut(answer: unknown): void {
  if ((answer as { timed_out?: unknown } | undefined)?.timed_out === true) {
    throw new DomainError(ErrorCode.QUERY_TOO_COMPLEX, "This search asks more of the search engine than it answers in time; use more words or narrower filters", {
      timeLimitMs: SEARCH_TIME_LIMIT_MS,
    });
  }
}
