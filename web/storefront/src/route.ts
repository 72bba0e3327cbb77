import { useEffect, useState } from "preact/hooks";

/** The page's routes live after the # (#/product/prod_1), so the server only serves /shop. */
export type Route =
  | { page: "home" }
  | { page: "category"; name: string }
  | { page: "search"; query: string }
  | { page: "product"; id: string }
  | { page: "cart" }
  | { page: "account"; next?: string }
  | { page: "checkout" }
  | { page: "order"; id: string };

export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search);
  const [, first, second] = path.split("/").map((part) => decodeURIComponent(part));
  switch (first) {
    case "category":
      return second ? { page: "category", name: second } : { page: "home" };
    case "search":
      return { page: "search", query: params.get("q") ?? "" };
    case "product":
      return second ? { page: "product", id: second } : { page: "home" };
    case "cart":
      return { page: "cart" };
    case "account":
      return { page: "account", next: params.get("next") ?? undefined };
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
  account: (next?: string) => (next ? `#/account?next=${encodeURIComponent(next)}` : "#/account"),
  checkout: () => "#/checkout",
  order: (id: string) => `#/order/${encodeURIComponent(id)}`,
};

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
