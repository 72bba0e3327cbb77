import { createStorefrontClient, type Session } from "../../../clients/typescript/src/index.js";

const SESSION_KEY = "storefront.session";
/** A guest's cart token outlives the tab (localStorage), as a shop's cart cookie would. */
const CART_TOKEN_KEY = "storefront.cartToken";

function savedCartToken(): string | undefined {
  try {
    return localStorage.getItem(CART_TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

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
  cartToken: savedCartToken(),
  onCartTokenChange: (token) => {
    if (token) localStorage.setItem(CART_TOKEN_KEY, token);
    else localStorage.removeItem(CART_TOKEN_KEY);
  },
});

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
