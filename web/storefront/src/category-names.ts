import { useEffect, useState } from "preact/hooks";
import { CategoriesDocument } from "../../../clients/typescript/src/index.js";
import { client } from "./storefront-client.js";

/**
 * The category tree as the storefront uses it, from one Categories query a page load: slug to
 * display name ("home-kitchen" to "Home & Kitchen") and slug to its children's slugs.
 */
interface CategoryTree {
  names: Map<string, string>;
  children: Map<string, string[]>;
}

let tree: Promise<CategoryTree> | undefined;

interface NamedCategory {
  slug: string;
  name: string;
  children?: readonly NamedCategory[] | null;
}

function collect(categories: readonly NamedCategory[], into: CategoryTree): CategoryTree {
  for (const category of categories) {
    into.names.set(category.slug, category.name);
    into.children.set(category.slug, (category.children ?? []).map((child) => child.slug));
    collect(category.children ?? [], into);
  }
  return into;
}

function loadTree(): Promise<CategoryTree> {
  tree ??= client.request(CategoriesDocument, {}).then(
    ({ categories }) => collect(categories, { names: new Map(), children: new Map() }),
    () => {
      // A failed read is asked again by the next page; meanwhile the slug stands in.
      tree = undefined;
      return { names: new Map(), children: new Map() };
    },
  );
  return tree;
}

function useCategoryTree(): CategoryTree | undefined {
  const [known, setKnown] = useState<CategoryTree | undefined>();
  useEffect(() => {
    let current = true;
    void loadTree().then((loaded) => current && setKnown(loaded));
    return () => {
      current = false;
    };
  }, []);
  return known;
}

/**
 * The display name of a category slug. Search facets, products and routes carry slugs; a
 * shopper reads names ("Home & Kitchen", not "Home-Kitchen"). Until the names arrive, or for a
 * slug the tree does not know, the slug itself is shown.
 */
export function useCategoryName(): (slug: string) => string {
  const known = useCategoryTree();
  return (slug) => known?.names.get(slug) ?? known?.names.get(slug.toLowerCase()) ?? slug;
}

/**
 * The search facet values a category's page lists: the category as the catalog spells it and
 * every category below it, since search knows each product by its own category only. A link
 * typed or shared as "#/category/Clothing", or naming a parent ("fashion-beauty"), listed no
 * product under a heading of a category that has them. Undefined until the tree arrives; a slug
 * the tree does not know (or a tree that could not be read) lists as it is.
 */
export function useCategoryListing(slug: string): string[] | undefined {
  const known = useCategoryTree();
  if (!known) return undefined;
  const own = known.names.has(slug) ? slug : known.names.has(slug.toLowerCase()) ? slug.toLowerCase() : undefined;
  if (!own) return [slug];
  const listed: string[] = [];
  const visit = (category: string) => {
    if (listed.includes(category)) return;
    listed.push(category);
    for (const child of known.children.get(category) ?? []) visit(child);
  };
  visit(own);
  return listed;
}
