import type { CostliestList } from "./measure-operation.js";

/**
 * What to change in an operation `excess` over the cost limit whose costliest list is `list`:
 * the largest page that fits, when the list has a page and a page of one fits (each item left
 * out takes `itemCost` off at least, once for each time the list runs); else what one item alone
 * costs and the costliest list within it, to ask for fewer fields there. "Send a smaller first"
 * to a list already asked for one item was advice no client could follow.
 */
export function costAdvice(list: CostliestList, excess: number): { advice: string; pageThatFits?: number } {
  const page = list.argument?.name ?? list.pageArguments[0];
  const pageThatFits = list.itemCost > 0 ? list.items - Math.ceil(excess / list.itemCost) : 0;
  if (page && pageThatFits >= 1) {
    const runsWith = list.argument ? "" : `it runs with ${list.items}; `;
    const fewer = list.argument ? "" : ", or ask for fewer fields under it";
    return { advice: `send a ${page} of at most ${pageThatFits} (${runsWith}each item costs ${list.itemCost})${fewer}`, pageThatFits };
  }
  const inner = list.inner ? `; the costliest there is ${listNamed(list.inner)} (${list.inner.coordinate}), ${list.inner.cost} each time it runs` : "";
  if (!page) return { advice: `it returns up to ${list.items}, each costing ${list.itemCost}: ask for fewer fields under it${inner}` };
  return { advice: `one item alone costs ${list.itemCost}, so no ${page} fits: ask for fewer fields under it${inner}` };
}

/** The list as the operation asks for it: `products(first: 1000)`, or its name when no page was sent. */
export const listNamed = (list: CostliestList): string => (list.argument ? `${list.node.name.value}(${list.argument.name}: ${list.argument.value})` : list.node.name.value);
