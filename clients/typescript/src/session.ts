/** A signed-in session: a short-lived access token and the refresh token that renews it. */
export interface Session {
  accessToken: string;
  refreshToken: string;
}

/** Seconds before expiry at which an access token is renewed before it is used. */
const EXPIRY_MARGIN_SECONDS = 30;

/** The `exp` claim of a JWT (seconds since the epoch), or undefined when it cannot be read. */
export function accessTokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp : undefined;
  } catch {
    return undefined;
  }
}

export function isExpiring(token: string, nowSeconds = Date.now() / 1000): boolean {
  const exp = accessTokenExpiry(token);
  return exp !== undefined && exp - EXPIRY_MARGIN_SECONDS <= nowSeconds;
}

/**
 * Holds the session and renews it with its refresh token. Renewals are shared: many calls
 * failing at once over an expired token trigger ONE refresh (a refresh token works once, so
 * two parallel refreshes would end the session). Only a refresh token refused ends the session
 * here: one whose renewal went unanswered (a lost answer, a gateway down) is kept, since the
 * server may not have seen it, or answers the same successor to it again for a while.
 */
export function createSessionKeeper(options: {
  initial?: Session;
  refresh: (refreshToken: string) => Promise<Session>;
  onChange?: (session: Session | undefined) => void;
  /** Whether a failed refresh was the server refusing the token (else the renewal only failed to get through). */
  isRefusal?: (error: unknown) => boolean;
}) {
  const isRefusal = options.isRefusal ?? (() => true);
  let session = options.initial;
  let renewing: Promise<Session | undefined> | undefined;

  const set = (next: Session | undefined) => {
    session = next;
    options.onChange?.(next);
  };

  return {
    get current(): Session | undefined {
      return session;
    },
    set,
    /** Renews the session; undefined when there is none or its refresh token was refused (the session is then cleared). */
    renew(): Promise<Session | undefined> {
      const spent = session;
      if (!spent) return Promise.resolve(undefined);
      renewing ??= options
        .refresh(spent.refreshToken)
        .then(
          (fresh) => {
            // A logIn or logOut while the refresh was under way wins over it.
            if (session === spent) set(fresh);
            return session;
          },
          (error: unknown) => {
            if (session === spent && isRefusal(error)) set(undefined);
            return undefined;
          },
        )
        .finally(() => {
          renewing = undefined;
        });
      return renewing;
    },
    /** The access token to send now, renewed first when it is about to expire. */
    async accessToken(): Promise<string | undefined> {
      if (session && isExpiring(session.accessToken)) await this.renew();
      return session?.accessToken;
    },
  };
}

export type SessionKeeper = ReturnType<typeof createSessionKeeper>;
