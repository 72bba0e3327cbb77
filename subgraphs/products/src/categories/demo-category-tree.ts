import type { Category } from "./category.js";

/**
 * The demo catalog's tree: every category the catalog generator uses (catalog-vocabulary.ts)
 * is a node, grouped under a few parents as a shop would show them.
 */
export const DEMO_CATEGORY_TREE: readonly Category[] = [
  { slug: "electronics", name: "Electronics", parent: null },
  { slug: "audio", name: "Audio", parent: "electronics" },
  { slug: "home-garden", name: "Home & Garden", parent: null },
  { slug: "home-kitchen", name: "Home & Kitchen", parent: "home-garden" },
  { slug: "garden", name: "Garden", parent: "home-garden" },
  { slug: "fashion-beauty", name: "Fashion & Beauty", parent: null },
  { slug: "clothing", name: "Clothing", parent: "fashion-beauty" },
  { slug: "beauty", name: "Beauty", parent: "fashion-beauty" },
  { slug: "leisure", name: "Leisure", parent: null },
  { slug: "books", name: "Books", parent: "leisure" },
  { slug: "sports-outdoors", name: "Sports & Outdoors", parent: "leisure" },
  { slug: "toys-games", name: "Toys & Games", parent: "leisure" },
  { slug: "grocery", name: "Grocery", parent: null },
  { slug: "automotive", name: "Automotive", parent: null },
];
