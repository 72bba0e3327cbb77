import type { DocumentNode } from "graphql";

/**
 * Characters of operation text (and of the parse it holds) a server's parsed-document store
 * keeps: about the gateway's 8,000,000 of prepared operations.
 */
export const DOCUMENT_STORE_CHARACTERS = 8_000_000;

/**
 * Apollo Server's store of parsed operations, weighed by what each one holds. Apollo's own
 * (30 MiB) weighed a document by its JSON, which leaves out its text: a parsed document keeps
 * the whole text it was parsed from (`loc.source.body`) while its JSON gives positions only. A
 * 95 KB text of a comment and `{ __typename }` weighed 474 bytes: about 66,000 of them, 6 GB of
 * text, fitted the store, and 2,400 unique ones sent to the gateway had grown it from 252 MB to
 * 665 MB. Least recently used go first; the store has the `get`/`set`/`delete` Apollo asks of a
 * `documentStore`.
 */
export function createDocumentStore(maxCharacters = DOCUMENT_STORE_CHARACTERS) {
  const entries = new Map<string, { document: DocumentNode; weight: number }>();
  let held = 0;
  const forget = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    held -= entry.weight;
  };
  return {
    async get(key: string): Promise<DocumentNode | undefined> {
      const entry = entries.get(key);
      if (!entry) return undefined;
      // Most recently used last: the map's order is the eviction order.
      entries.delete(key);
      entries.set(key, entry);
      return entry.document;
    },
    async set(key: string, document: DocumentNode): Promise<void> {
      forget(key);
      const weight = (document.loc?.source.body.length ?? 0) + JSON.stringify(document).length;
      if (weight > maxCharacters) return;
      entries.set(key, { document, weight });
      held += weight;
      for (const oldest of entries.keys()) {
        if (held <= maxCharacters) break;
        forget(oldest);
      }
    },
    async delete(key: string): Promise<boolean> {
      const had = entries.has(key);
      forget(key);
      return had;
    },
    /** Documents and characters held (tests). */
    held: () => ({ documents: entries.size, characters: held }),
  };
}
