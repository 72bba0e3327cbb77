import { requireAdmin } from "#kernel";
import { nodeOf } from "../categories/category.js";
import type { CategoryResolvers, MutationResolvers, QueryResolvers } from "../generated/resolvers-types.js";

export const CategoryQuery: Pick<QueryResolvers, "categories" | "category"> = {
  categories: async (_root, _args, ctx) => {
    const tree = await ctx.categories.tree();
    return tree.roots().map((root) => nodeOf(root, tree));
  },
  category: async (_root, { slug }, ctx) => {
    const { category, tree } = await ctx.categories.find(slug);
    return nodeOf(category, tree);
  },
};

export const CategoryMutation: Pick<MutationResolvers, "createCategory" | "updateCategory"> = {
  createCategory: async (_root, { input }, ctx) => {
    requireAdmin(ctx);
    await ctx.categories.create(input);
    const { category, tree } = await ctx.categories.find(input.slug);
    return nodeOf(category, tree);
  },
  updateCategory: async (_root, { slug, input }, ctx) => {
    requireAdmin(ctx);
    const updated = await ctx.categories.update(slug, input, "parent" in input);
    const { category, tree } = await ctx.categories.find(updated.slug);
    return nodeOf(category, tree);
  },
};

export const Category: CategoryResolvers = {
  parent: (category) => {
    const parent = category.parent === null ? undefined : category.tree.get(category.parent);
    return parent ? nodeOf(parent, category.tree) : null;
  },
  children: (category) => category.tree.childrenOf(category.slug).map((child) => nodeOf(child, category.tree)),
  breadcrumbs: (category) => category.tree.breadcrumbs(category.slug).map((each) => nodeOf(each, category.tree)),
  productCount: (category, _args, ctx) => ctx.categories.productCount(category.tree, category.slug),
};
