import { useEffect, useState } from "preact/hooks";
import { CategoriesDocument } from "../../../clients/typescript/src/index.js";
import { client } from "./storefront-client.js";

/** Slug to display name ("home-kitchen" to "Home & Kitchen"), from one Categories query a page load. */
let names: Promise<Map<string, string>> | undefined;

interface NamedCategory {
  slug: string;
  name: string;
  children?: readonly NamedCategory[] | null;
}

function collect(categories: readonly NamedCategory[], into: Map<string, string>): Map<string, string> {
  for (const category of categories) {
    into.set(category.slug, category.name);
    collect(category.children ?? [], into);
  }
  return into;
}

function loadNames(): Promise<Map<string, string>> {
  names ??= client.request(CategoriesDocument, {}).then(
    ({ categories }) => collect(categories, new Map()),
    () => {
      // A failed read is asked again by the next page; meanwhile the slug stands in.
      names = undefined;
      return new Map<string, string>();
    },
  );
  return names;
}

/**
 * The display name of a category slug. Search facets, products and routes carry slugs; a
 * shopper reads names ("Home & Kitchen", not "Home-Kitchen"). Until the names arrive, or for a
 * slug the tree does not know, the slug itself is shown.
 */
export function useCategoryName(): (slug: string) => string {
  const [known, setKnown] = useState<Map<string, string> | undefined>();
  useEffect(() => {
    let current = true;
    void loadNames().then((loaded) => current && setKnown(loaded));
    return () => {
      current = false;
    };
  }, []);
  return (slug) => known?.get(slug) ?? slug;
}
