import { badInput, singleLineText } from "#kernel";

/** A node of the category tree. `slug` is lowercase and unique; a root has no parent. */
export interface Category {
  slug: string;
  name: string;
  parent: string | null;
}

/** Slugs compare without case everywhere: "Electronics" names electronics. */
export const normaliseSlug = (slug: string) => slug.trim().toLowerCase();

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function validSlug(slug: string): string {
  const normal = normaliseSlug(slug);
  if (normal.length === 0 || normal.length > 64 || !SLUG.test(normal)) {
    throw badInput("A category slug is 1 to 64 letters, digits and single hyphens, for example home-kitchen", { field: "slug" });
  }
  return normal;
}

export const validCategoryName = (name: string): string => singleLineText("name", name, { max: 100 });

/**
 * The tree's shape: at most 10 roots and 10 categories directly below any one, 4 levels deep,
 * and 1,000 categories in all. These are the sizes the schema declares for Query.categories
 * and Category.children (@listSize 10, @treeSize 1,000) and Category.breadcrumbs (4), which the
 * gateway's cost measure counts. Without the total, the shape alone holds 11,110 categories
 * (11,100 below the roots' level), a walk of all four levels measured 12,221 and more, over
 * MAX_QUERY_COST, and every customer's menu was that heavy to serve; with it one level of a
 * walk counts at most 1,000, and four levels with counts measure 7,441. The storefront's
 * three-level menu measures 3,441.
 */
export const CATEGORY_LIMITS = { children: 10, depth: 4, total: 1_000 } as const;

/** The tree as read at once: parent and children lookups without another read. */
export class CategoryTree {
  private readonly bySlug: Map<string, Category>;
  private readonly children = new Map<string | null, Category[]>();

  constructor(categories: readonly Category[]) {
    this.bySlug = new Map(categories.map((category) => [category.slug, { ...category, parent: category.parent !== null && category.parent !== category.slug ? category.parent : null }]));
    this.breakCycles();
    for (const category of [...this.bySlug.values()].sort((a, b) => a.name.localeCompare(b.name) || a.slug.localeCompare(b.slug))) {
      const parent = category.parent !== null && this.bySlug.has(category.parent) ? category.parent : null;
      this.children.set(parent, [...(this.children.get(parent) ?? []), category]);
    }
  }

  /**
   * A stored loop of parents (written by a store edited by hand, or by writers that did not
   * share the tree's lock) is served with its smallest slug as a root. Without that, the loop's
   * categories hang below no root: invisible in the menu, and every walk of their subtree
   * recursing without end, the move that would mend them included.
   */
  private breakCycles(): void {
    const done = new Set<string>();
    for (const start of this.bySlug.keys()) {
      const path: string[] = [];
      const onPath = new Set<string>();
      let at: string | null = start;
      while (at !== null && !done.has(at) && !onPath.has(at)) {
        path.push(at);
        onPath.add(at);
        at = this.bySlug.get(at)?.parent ?? null;
      }
      if (at !== null && onPath.has(at)) {
        const loop = path.slice(path.indexOf(at));
        const root = loop.reduce((smallest, slug) => (slug < smallest ? slug : smallest));
        this.bySlug.set(root, { ...this.bySlug.get(root)!, parent: null });
      }
      for (const slug of path) done.add(slug);
    }
  }

  /** Categories in the tree. */
  get size(): number {
    return this.bySlug.size;
  }

  get(slug: string): Category | undefined {
    return this.bySlug.get(normaliseSlug(slug));
  }

  roots(): Category[] {
    return this.children.get(null) ?? [];
  }

  childrenOf(slug: string): Category[] {
    return this.children.get(slug) ?? [];
  }

  /** Root first, the category itself last. */
  breadcrumbs(slug: string): Category[] {
    const trail: Category[] = [];
    for (let at = this.bySlug.get(slug); at && trail.length <= this.bySlug.size; at = at.parent === null ? undefined : this.bySlug.get(at.parent)) trail.unshift(at);
    return trail;
  }

  /** Levels from `slug` down to its deepest descendant: 1 for a leaf. */
  height(slug: string): number {
    return 1 + Math.max(0, ...this.childrenOf(slug).map((child) => this.height(child.slug)));
  }

  /** The category's slug and every descendant's. */
  subtree(slug: string): string[] {
    const slugs: string[] = [];
    const visit = (at: string) => {
      slugs.push(at);
      for (const child of this.childrenOf(at)) visit(child.slug);
    };
    if (this.bySlug.has(slug)) visit(slug);
    return slugs;
  }

  /** Whether `slug` is `ancestor` or lies below it. */
  isWithin(slug: string, ancestor: string): boolean {
    return this.breadcrumbs(slug).some((category) => category.slug === ancestor);
  }
}

/** A category as the API serves it: with the tree it was read from, for parents and children without another read. */
export interface CategoryNode extends Category {
  tree: CategoryTree;
}

/**
 * Refuses placing a subtree `height` levels tall under `parent` (null: as a root) when the
 * parent would hold more than CATEGORY_LIMITS.children or the tree grow past its depth.
 */
export function assertRoomUnder(tree: CategoryTree, parent: string | null, height: number, moving?: string): void {
  const siblings = (parent === null ? tree.roots() : tree.childrenOf(parent)).filter((c) => c.slug !== moving);
  if (siblings.length >= CATEGORY_LIMITS.children) {
    throw badInput(`A category holds at most ${CATEGORY_LIMITS.children} categories directly below it, and the tree at most ${CATEGORY_LIMITS.children} roots`, { field: "parent" });
  }
  const level = parent === null ? 0 : tree.breadcrumbs(parent).length;
  if (level + height > CATEGORY_LIMITS.depth) throw badInput(`The category tree is at most ${CATEGORY_LIMITS.depth} levels deep`, { field: "parent" });
}

/** Refuses a new category when the tree holds CATEGORY_LIMITS.total already (a move adds none). */
export function assertRoomForOneMore(tree: CategoryTree): void {
  if (tree.size >= CATEGORY_LIMITS.total) {
    throw badInput(`The category tree holds at most ${CATEGORY_LIMITS.total.toLocaleString("en-US")} categories: remove or merge some before adding another`, {
      field: "slug",
      limit: CATEGORY_LIMITS.total,
    });
  }
}

export const nodeOf = (category: Category, tree: CategoryTree): CategoryNode => ({ ...category, tree });
