import { createSubgraphClient, type Logger } from "#kernel";
import type { CategoryScopes } from "../ports/category-scopes.js";
import { slugsWithin, type CategoryChildren } from "../domain/category-scope.js";

/** Four levels: the deepest tree the products subgraph allows (CATEGORY_LIMITS.depth). */
const CATEGORY_TREE = `query CategoryTree {
  categories { slug children { slug children { slug children { slug } } } }
}`;

interface TreeNode {
  slug: string;
  children?: TreeNode[];
}

function childrenOf(roots: readonly TreeNode[]): Map<string, string[]> {
  const children = new Map<string, string[]>();
  const visit = (node: TreeNode) => {
    children.set(node.slug, (node.children ?? []).map((child) => child.slug));
    for (const child of node.children ?? []) visit(child);
  };
  for (const root of roots) visit(root);
  return children;
}

/** After a failed read, the next one is tried this much sooner than a fresh tree's `ttlMs`. */
const RETRY_AFTER_MS = 5_000;

/**
 * The category tree read through the products subgraph, kept for `ttlMs` (60 s, as long as
 * the gateway may cache `categories` itself): a category moved or added reaches search filters
 * within that. A read runs alone; meanwhile and after a failed read the last tree answers, and
 * with none yet each slug stands for itself, so search keeps answering while products does not.
 */
export function productsSubgraphCategories(options: { url: string; internalSecret: string; logger: Logger; ttlMs?: number }): CategoryScopes {
  const client = createSubgraphClient({ url: options.url, audience: "products", internalSecret: options.internalSecret, serviceName: "search" });
  const ttlMs = options.ttlMs ?? 60_000;
  let kept: CategoryChildren | undefined;
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;

  const read = () =>
    (reading ??= client
      .request<{ categories: TreeNode[] }>(CATEGORY_TREE, {}, { timeoutMs: 2_000 })
      .then(
        (data) => {
          kept = childrenOf(data.categories);
          readAt = Date.now();
        },
        (error: unknown) => {
          readAt = Date.now() - ttlMs + RETRY_AFTER_MS;
          options.logger.warn("the category tree could not be read; category filters match the named categories only", { error: String(error) });
        },
      )
      .finally(() => {
        reading = undefined;
      }));

  return {
    async within(slugs) {
      if (Date.now() - readAt > ttlMs) {
        const fresh = read();
        if (!kept) await fresh;
      }
      return kept ? slugsWithin(kept, slugs) : [...new Set(slugs)];
    },
    close: () => client.close(),
  };
}
