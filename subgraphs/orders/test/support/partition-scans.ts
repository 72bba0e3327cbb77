/** A node of PostgreSQL's `EXPLAIN (FORMAT JSON)` plan, as far as the partition tests read it. */
export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Loops"?: number;
  Plans?: PlanNode[];
}

/**
 * Every scan of a partition of `table` in a plan ("Order_p3", local or foreign), with its node
 * type and, under ANALYZE, how often it ran (0 for one pruned when the query ran).
 */
export function partitionScans(node: PlanNode, table: string): { type: string; partition: string; loops: number | undefined }[] {
  const own = node["Relation Name"]?.startsWith(`${table}_p`) ? [{ type: node["Node Type"], partition: node["Relation Name"], loops: node["Actual Loops"] }] : [];
  return [...own, ...(node.Plans ?? []).flatMap((child) => partitionScans(child, table))];
}
