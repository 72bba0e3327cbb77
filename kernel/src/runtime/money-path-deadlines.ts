/**
 * The money path's time-based decisions and the deadlines they rest on, in one place, so a
 * deadline cannot be raised past what a decision assumes without the derivation below moving
 * with it.
 *
 * The tightest decision: two tabs or a retry share a checkout key's stock hold, and a refused
 * attempt frees the hold once no reserve has touched it for LIVE_ATTEMPT_MAX_MS, trusting that
 * an attempt that reserved it has by then placed its order or failed. After its reserve such an
 * attempt waits for the reserve's answer (STOCK_CALL_MS, the internal call's deadline), then for
 * a pooled connection, then for its order's statement: the database bounds keep those together
 * within half the window, the other half being margin (replicas' clocks, a paused process).
 */

/** How long after its last reserve a key's hold may still belong to an attempt placing its order. */
export const LIVE_ATTEMPT_MAX_MS = 60_000;

/** Deadline of one call to the inventory's internal mutations (reserve, commit, release). */
export const STOCK_CALL_MS = 10_000;

/** How long one service's database work may wait and run; see `databaseBoundsWithin`. */
export interface DatabaseBounds {
  /** Waiting for a pooled connection (a saturated pool), or for a new one to open. */
  connectMs: number;
  /** One statement on the server (lock waits included); past it the server cancels it (57014). */
  statementMs: number;
  /**
   * The client's own wait for a statement's answer, a little past `statementMs`: when the
   * server or the network stops answering, the caller is not held forever, and by then the
   * server has cancelled the statement, so a caller that reads "not written" acts on the truth.
   */
  answerMs: number;
  /** A transaction left open without a statement (its process hung): the server ends it (25P03). */
  idleInTransactionMs: number;
}

/**
 * Bounds whose worst case after a reserve (its answer, a connection, one statement) takes at
 * most half of `windowMs`: a quarter of the rest for the connection, the remainder for the
 * statement and the client's wait for it.
 */
export function databaseBoundsWithin(windowMs: number, callMs: number): DatabaseBounds {
  const rest = windowMs / 2 - callMs;
  if (rest <= 0) throw new Error(`A window of ${windowMs} ms leaves no time for the database after a ${callMs} ms call`);
  return { connectMs: rest / 4, statementMs: rest / 2, answerMs: (rest * 3) / 4, idleInTransactionMs: windowMs / 2 };
}

/** What every service's pool is held to (`createPrismaClient`): 5 s, 10 s, 15 s and 30 s. */
export const DATABASE_BOUNDS: DatabaseBounds = databaseBoundsWithin(LIVE_ATTEMPT_MAX_MS, STOCK_CALL_MS);
