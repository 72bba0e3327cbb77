import { MARKS_KEPT_SINCE_KEY, MARKS_KEPT_SINCE_TTL_MS, sessionKey, SessionsEndedEventType, Topics, userSessionsKey, type EventBus, type KeyValueStore, type Logger, type SessionsEndedPayload, type Subscription } from "#kernel";

/**
 * How long a user's and a session's marks are taken from memory. The SessionsEnded event
 * updates them at once on every gateway that hears it; this bounds how late a gateway that
 * missed it (a broker hiccup) refuses an ended session's tokens.
 */
const REMEMBER_MS = 5_000;

/** The moment an access token was issued and the session it belongs to, as its claims say. */
export interface TokenSession {
  userId: string;
  /** `iat`, in seconds. */
  issuedAt: number;
  /** `sid`, when the issuer named the session. */
  sessionId?: string;
}

/** Whether an ended session (a log-out, a password reset) covers a token. */
export const endCovers = (end: SessionsEndedPayload, token: TokenSession) =>
  end.userId === token.userId && ((end.sessionId !== undefined && end.sessionId === token.sessionId) || (end.endedBefore !== undefined && token.issuedAt < end.endedBefore));

/**
 * The sessions the accounts subgraph ended (see kernel/src/auth/session-revocation.ts), as
 * this gateway knows them: one read of two keys (MGET) per user and session every
 * REMEMBER_MS at most (concurrent askers share it), a map lookup otherwise, and at once
 * through the SessionsEnded event, which also tells `onEnded` listeners (the WebSocket closes
 * the sockets it covers, and rechecks them through `hasEnded` for an event it missed). When the
 * store cannot answer, the last answer stands (none: the token is accepted, and its expiry
 * still ends it): a Redis outage must not sign every customer out.
 *
 * A store that comes back without its data (a Redis restart without persistence, a FLUSHDB)
 * answers "never ended" for every session it forgot. Each read also fetches the store's marker
 * (MARKS_KEPT_SINCE_KEY): a gateway that has seen it and then finds it gone writes the second it
 * noticed, and every gateway then refuses tokens issued before that second. Clients renew them
 * with their refresh tokens, which the accounts database keeps revoked for an ended session, so
 * only the ended sessions stay out. A loss while no gateway runs goes unseen (the first to start
 * takes the empty store as new); the marks of that window then live only as long as its tokens.
 */
export function createSessionRevocations(deps: { kv: KeyValueStore; bus: EventBus; logger: Logger; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const users = new Map<string, { endedBefore?: number; until: number }>();
  const sessions = new Map<string, { ended: boolean; until: number }>();
  const listeners = new Set<(end: SessionsEndedPayload) => void>();
  let subscription: Subscription | undefined;
  // The second since which the store holds every mark, as last read; tokens issued before it are refused.
  let keptSince = 0;
  // Whether this gateway has seen the marker: only then does its absence mean the store lost it.
  let sawMarker = false;
  const MAX_ENTRIES = 100_000;

  const keep = <T>(map: Map<string, T>, key: string, value: T) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
  };

  function learn(end: SessionsEndedPayload): void {
    const until = now() + REMEMBER_MS;
    if (end.endedBefore !== undefined) keep(users, end.userId, { endedBefore: Math.max(end.endedBefore, users.get(end.userId)?.endedBefore ?? 0), until });
    if (end.sessionId !== undefined) keep(sessions, end.sessionId, { ended: true, until });
  }

  // Callers asking about one user and session while its read is out share that read: the
  // sockets of a session rechecked together, or a burst of its requests, cost one MGET.
  const reading = new Map<string, Promise<void>>();
  function read(token: TokenSession): Promise<void> {
    const key = `${token.userId}\u0000${token.sessionId ?? ""}`;
    let pending = reading.get(key);
    if (!pending) {
      pending = readNow(token).finally(() => reading.delete(key));
      reading.set(key, pending);
    }
    return pending;
  }

  async function learnMarker(stored: string | null): Promise<void> {
    let value = stored;
    if (value === null) {
      const since = sawMarker ? String(Math.floor(now() / 1000)) : "0";
      value = (await deps.kv.setIfAbsent(MARKS_KEPT_SINCE_KEY, since, MARKS_KEPT_SINCE_TTL_MS)) ? since : await deps.kv.get(MARKS_KEPT_SINCE_KEY);
      if (sawMarker) deps.logger.warn("the ended sessions' store lost its marks: tokens issued before this second are refused until renewed", { since: Number(value ?? since) });
    }
    sawMarker = true;
    const second = Number(value ?? 0);
    if (Number.isFinite(second)) keptSince = Math.max(keptSince, second);
  }

  async function readNow(token: TokenSession): Promise<void> {
    const until = now() + REMEMBER_MS;
    try {
      const [user, session, marker] = await deps.kv.getMany([userSessionsKey(token.userId), token.sessionId ? sessionKey(token.sessionId) : userSessionsKey(token.userId), MARKS_KEPT_SINCE_KEY]);
      // An end is for good: a read that left before an end was written, and came back after
      // the event told of it, must not undo it.
      const stored = user ? Number(user) : undefined;
      const known = users.get(token.userId)?.endedBefore;
      keep(users, token.userId, { endedBefore: known === undefined ? stored : stored === undefined ? known : Math.max(known, stored), until });
      if (token.sessionId) keep(sessions, token.sessionId, { ended: session !== null || sessions.get(token.sessionId)?.ended === true, until });
      // After the marks are kept: a marker that cannot be written must not cost the marks read.
      await learnMarker(marker ?? null);
    } catch (error) {
      deps.logger.warn("ended sessions could not be read", { userId: token.userId, error: error instanceof Error ? error.message : String(error) });
    }
  }

  return {
    async start(): Promise<void> {
      // Best effort: the marker written (or seen) now makes a loss from here on noticeable.
      try {
        await learnMarker(await deps.kv.get(MARKS_KEPT_SINCE_KEY));
      } catch (error) {
        deps.logger.warn("ended sessions could not be read", { error: error instanceof Error ? error.message : String(error) });
      }
      subscription = await deps.bus.subscribe({
        topic: Topics.sessionsEnded,
        group: "gateway-sessions",
        scope: "process",
        start: "latest",
        handle: async (event) => {
          if (event.type !== SessionsEndedEventType) return;
          const end = event.payload as SessionsEndedPayload;
          learn(end);
          for (const listener of listeners) listener(end);
        },
      });
    },
    /** True when the token's session was ended. */
    async hasEnded(token: TokenSession): Promise<boolean> {
      const t = now();
      const user = users.get(token.userId);
      const session = token.sessionId ? sessions.get(token.sessionId) : undefined;
      if (!user || user.until <= t || (token.sessionId && (!session || session.until <= t))) await read(token);
      const endedBefore = users.get(token.userId)?.endedBefore;
      return token.issuedAt < keptSince || (endedBefore !== undefined && token.issuedAt < endedBefore) || (token.sessionId !== undefined && sessions.get(token.sessionId)?.ended === true);
    },
    /** Hears every session end this gateway learns of; returns the function that stops it. */
    onEnded(listener: (end: SessionsEndedPayload) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop(): Promise<void> {
      await subscription?.stop();
      listeners.clear();
    },
  };
}

export type SessionRevocations = ReturnType<typeof createSessionRevocations>;
