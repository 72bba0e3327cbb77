import type { StockCache } from "../../src/ports/stock-cache.js";

/** A whole rebuild's mirror side at once: what a server restoring an old snapshot, or a quiet rebuild, leaves behind. */
export async function replaceMirror(cache: StockCache, epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<void> {
  await cache.beginRebuild(epoch);
  if (!(await cache.fillRebuild(epoch, levels))) throw new Error(`the mirror rebuild at ${epoch} was taken over`);
}
