import type { DocumentNode } from "graphql";
import { WeighedMemo } from "../cache/weighed-memo.js";

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
  const documents = new WeighedMemo<string, DocumentNode>({ weight: maxCharacters, refreshOnRead: true });
  return {
    async get(key: string): Promise<DocumentNode | undefined> {
      return documents.get(key);
    },
    async set(key: string, document: DocumentNode): Promise<void> {
      documents.set(key, document, (document.loc?.source.body.length ?? 0) + JSON.stringify(document).length);
    },
    async delete(key: string): Promise<boolean> {
      return documents.delete(key);
    },
    /** Documents and characters held (tests). */
    held: () => ({ documents: documents.size, characters: documents.weight }),
  };
}
