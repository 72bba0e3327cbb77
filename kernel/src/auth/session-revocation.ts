import type { KeyValueStore } from "../cache/key-value-store.js";
import type { EventBus } from "../events/event-bus.js";
import { newEvent } from "../events/new-event.js";
import { Topics } from "../events/topics.js";

/**
 * Ended sessions, as the accounts subgraph records them and every gateway reads them: the
 * access tokens of an ended session are refused although their signature and `exp` are good.
 *
 * Two marks, each a key of the shared key-value store (Redis, or the embedded store of a
 * one-process platform) living as long as the longest access token may:
 * - `sessions-ended:user:<userId>` = S (seconds): every token of the user with `iat < S` is
 *   refused (a password reset ends every session);
 * - `sessions-ended:session:<sid>`: every token with that `sid` is refused (a log-out ends the
 *   session, one device's sign-in, its refresh token family).
 * S is the first whole second after the moment the sessions ended, and the writer answers only
 * once its clock has reached it: `iat` counts whole seconds, so a token issued just before the
 * end carries an `iat` below S, and one issued after the answer (the new log-in) carries S or
 * more. A SessionsEnded event follows each mark, so gateways close the user's open sockets and
 * forget what they cached at once.
 */
export const SessionsEndedEventType = "SessionsEnded";

export interface SessionsEndedPayload {
  userId: string;
  /** Every token of the user issued before this second (epoch seconds) is refused. */
  endedBefore?: number;
  /** Every token of this session (`sid`) is refused. */
  sessionId?: string;
}

/** Every mark's key starts so; the one-process platform keeps these keys across a restart. */
export const SESSION_END_KEY_PREFIX = "sessions-ended:";
export const userSessionsKey = (userId: string) => `${SESSION_END_KEY_PREFIX}user:${userId}`;
export const sessionKey = (sessionId: string) => `${SESSION_END_KEY_PREFIX}session:${sessionId}`;
/**
 * Since when (epoch seconds) the store has held every mark: "0" from the first start on. A store
 * that lost its data (a Redis restart without persistence, a FLUSHDB) lost this key with the
 * marks, and the gateway that notices writes the second it noticed: tokens issued before it
 * are refused until renewed, since the marks that would have refused the ended ones are gone
 * (refresh tokens are revoked in the accounts database, which keeps them).
 */
export const MARKS_KEPT_SINCE_KEY = `${SESSION_END_KEY_PREFIX}kept-since`;
/** The marker's lifetime: its expiry would read as a loss, so it outlives any deployment. */
export const MARKS_KEPT_SINCE_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

/** Records the end and announces it; resolves once a token issued afterwards is told apart from the ended ones. */
export async function recordSessionsEnded(
  deps: { kv: KeyValueStore; bus: EventBus; /** The longest an access token may live; the marks live as long. */ maxTokenLifetimeSeconds: number },
  end: { userId: string; sessionId?: string; everySession?: boolean },
  now: () => number = Date.now,
): Promise<void> {
  const ttlMs = (deps.maxTokenLifetimeSeconds + 60) * 1000;
  const payload: SessionsEndedPayload = { userId: end.userId };
  if (end.sessionId) {
    await deps.kv.set(sessionKey(end.sessionId), "1", ttlMs);
    payload.sessionId = end.sessionId;
  }
  if (end.everySession) {
    const endedBefore = Math.floor(now() / 1000) + 1;
    // Never lowered: an earlier end landing after a later one (two replicas, a slow write)
    // must not let the tokens between them pass again.
    await deps.kv.raiseTo(userSessionsKey(end.userId), endedBefore, ttlMs);
    payload.endedBefore = endedBefore;
    // At most a second: the next log-in's token must not share the last ended second.
    const wait = endedBefore * 1000 - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await deps.bus.publish(Topics.sessionsEnded, [newEvent(SessionsEndedEventType, end.userId, payload)]);
}
