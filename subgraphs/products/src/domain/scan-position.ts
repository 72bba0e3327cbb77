import { DomainError, ErrorCode } from "#kernel";
import type { ScanOrder } from "../ports/product-store.js";

/**
 * Where a catalog scan stopped: the listing number of the last product it streamed, marked with
 * the scan's order ("42" oldest first, "newest:42" newest first). A scan resumes only from a
 * position of its own order: from the other, "after 42" names the other half of the catalog.
 */
export const scanPosition = (seq: number, order: ScanOrder = {}): string => (order.newestFirst ? `newest:${seq}` : String(seq));

/** The listing number to resume after, or undefined to start at the scan's beginning. */
export function resumeAfter(after: string | undefined, order: ScanOrder = {}): number | undefined {
  if (after === undefined) return undefined;
  const newest = after.startsWith("newest:");
  const seq = Number(newest ? after.slice("newest:".length) : after);
  if (newest !== Boolean(order.newestFirst) || !Number.isSafeInteger(seq) || seq < 0) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `not a position of a ${order.newestFirst ? "newest" : "oldest"}-first catalog scan: ${after}`);
  }
  return seq;
}
