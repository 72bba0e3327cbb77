import { createStorefrontClient, type Session } from "../../../clients/typescript/src/index.js";

const SESSION_KEY = "storefront.session";

function savedSession(): Session | undefined {
  try {
    const saved = sessionStorage.getItem(SESSION_KEY);
    return saved ? (JSON.parse(saved) as Session) : undefined;
  } catch {
    return undefined;
  }
}

const listeners = new Set<() => void>();

/**
 * The page's one client. The session lives in sessionStorage (this tab only, gone when it
 * closes), so a reload keeps the customer signed in.
 */
export const client = createStorefrontClient({
  url: `${location.origin}/graphql`,
  webSocketUrl: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`,
  session: savedSession(),
  onSessionChange: (session) => {
    if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    else sessionStorage.removeItem(SESSION_KEY);
    for (const listener of listeners) listener();
  },
});

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
