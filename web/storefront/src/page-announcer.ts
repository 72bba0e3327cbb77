import { useEffect, useRef } from "preact/hooks";
import type { Route } from "./route.js";

const STORE_NAME = "Storefront";

/**
 * What a full page load would give a screen reader or keyboard user, for a page whose routes
 * change without one: the tab's title names the page (its heading, kept up to date as the
 * page's data arrives), and after a route change focus moves to the new page's content, so
 * the next Tab starts there and the change is announced, instead of focus staying on a link
 * that is gone.
 */
export function usePageAnnouncer(route: Route): void {
  useEffect(() => {
    const main = document.getElementById("main");
    if (!main) return;
    const name = () => {
      const heading = main.querySelector("h1")?.textContent?.trim();
      const title = heading && heading !== STORE_NAME ? `${heading} – ${STORE_NAME}` : STORE_NAME;
      if (document.title !== title) document.title = title;
    };
    name();
    const observer = new MutationObserver(name);
    observer.observe(main, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, []);

  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [route]);
}
