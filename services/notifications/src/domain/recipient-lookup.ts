import DataLoader from "dataloader";
import type { Recipient, RecipientDirectory } from "../ports/recipient-directory.js";

export interface RecipientLookup {
  /** The user's contact details; undefined when they have no account. */
  find(userId: string): Promise<Recipient | undefined>;
}

/**
 * Looks recipients up through the directory in batches (every lookup started in one tick goes
 * out as one request) and remembers answers for `ttlMs`, so a burst of order events asks
 * accounts once per customer. Failed lookups are not remembered.
 */
export function createRecipientLookup(directory: RecipientDirectory, options: { ttlMs: number; maxEntries?: number; now?: () => number }): RecipientLookup {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const remembered = new Map<string, { at: number; answer: Promise<Recipient | undefined> }>();
  const loader = new DataLoader<string, Recipient | undefined>(
    async (userIds) => {
      const found = await directory.findMany(userIds);
      return userIds.map((id) => found.get(id));
    },
    { cache: false, maxBatchSize: 100 },
  );
  return {
    find(userId) {
      const hit = remembered.get(userId);
      if (hit && now() - hit.at < options.ttlMs) return hit.answer;
      const answer = loader.load(userId);
      if (options.ttlMs > 0) {
        // Oldest first: a Map iterates in insertion order.
        if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!);
        remembered.delete(userId);
        remembered.set(userId, { at: now(), answer });
        answer.catch(() => remembered.get(userId)?.answer === answer && remembered.delete(userId));
      }
      return answer;
    },
  };
}
