import { useEffect, useState } from "preact/hooks";
import { searchWords } from "./search-words.js";

/**
 * The page's routes live after the # (#/product/prod_1), so the server only serves /shop. The
 * links account mails carry are the exception: they name a path of their own
 * (/shop/reset-password#token=...) and keep the token after the #, which never reaches a server.
 */
export type Route =
  | { page: "home" }
  | { page: "category"; name: string }
  | { page: "search"; query: string }
  | { page: "product"; id: string }
  | { page: "cart" }
  | { page: "account"; next?: string; mode?: "logIn" }
  | { page: "forgot-password" }
  | { page: "reset-password"; token: string }
  | { page: "verify-email"; token: string }
  | { page: "checkout" }
  | { page: "order"; id: string };

/** The mailed links' paths under the shop (the gateway serves the page there too). */
const LINK_PAGE = /\/(reset-password|verify-email)\/?$/;

/** The token of a mailed link: after `#token=` as mailed, or `?token=` as some mail clients rewrite it. */
function linkToken(search: string, hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") ?? new URLSearchParams(search).get("token") ?? "";
}

/**
 * Text of a link as the API can take it: NUL and unpaired surrogates removed (the gateway
 * refuses them with a developer's message, "Variable $id: Text input must not contain NUL
 * characters..."), whatever a pasted or mangled link holds.
 */
function storableText(text: string): string {
  return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "");
}

/** One decoded part of a route; a malformed escape ("100%", "%ZZ") stays as typed instead of throwing, which left the page blank. */
function routeText(part: string): string {
  try {
    return storableText(decodeURIComponent(part));
  } catch {
    return storableText(part);
  }
}

export function parseRoute({ pathname = "", search = "", hash }: { pathname?: string; search?: string; hash: string }): Route {
  // A #/ route wins over the path: the header's links from a mailed link's page lead on.
  const link = hash.startsWith("#/") ? null : LINK_PAGE.exec(pathname);
  if (link) return { page: link[1] as "reset-password" | "verify-email", token: linkToken(search, hash) };
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const [, first, second] = path.split("/").map(routeText);
  switch (first) {
    case "category":
      return second ? { page: "category", name: second } : { page: "home" };
    case "search":
      return { page: "search", query: searchWords(storableText(params.get("q") ?? "")) };
    case "product":
      return second ? { page: "product", id: second } : { page: "home" };
    case "cart":
      return { page: "cart" };
    case "account":
      return { page: "account", next: params.get("next") ?? undefined, mode: params.get("mode") === "logIn" ? "logIn" : undefined };
    case "forgot-password":
      return { page: "forgot-password" };
    case "checkout":
      return { page: "checkout" };
    case "order":
      return second ? { page: "order", id: second } : { page: "home" };
    default:
      return { page: "home" };
  }
}

export const href = {
  home: () => "#/",
  category: (name: string) => `#/category/${encodeURIComponent(name)}`,
  search: (query: string) => `#/search?q=${encodeURIComponent(query)}`,
  product: (id: string) => `#/product/${encodeURIComponent(id)}`,
  cart: () => "#/cart",
  /** The account page: signed in, the customer's account; signed out, the form that creates one. */
  account: (next?: string) => (next ? `#/account?next=${encodeURIComponent(next)}` : "#/account"),
  /** The same page with the sign-in form open: where every link that says "Sign in" leads. */
  logIn: (next?: string) => (next ? `#/account?mode=logIn&next=${encodeURIComponent(next)}` : "#/account?mode=logIn"),
  forgotPassword: () => "#/forgot-password",
  checkout: () => "#/checkout",
  order: (id: string) => `#/order/${encodeURIComponent(id)}`,
};

export function navigate(to: string): void {
  if (LINK_PAGE.test(location.pathname)) {
    // Leaving a mailed link's page: back to the shop's own path, and the used token leaves the
    // address bar and the history, without loading the page again.
    history.replaceState(null, "", location.pathname.replace(LINK_PAGE, "/") + to);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    return;
  }
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location));
  useEffect(() => {
    const update = () => {
      setRoute(parseRoute(location));
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
