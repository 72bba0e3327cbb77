import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { RecipientDirectory } from "../src/ports/recipient-directory.js";

export interface DirectoryFixture {
  directory: RecipientDirectory;
  /** Creates an account and returns its id. */
  signUp(email: string): Promise<string>;
  close(): Promise<void>;
}

/** The guarantees of the `RecipientDirectory` port, against one adapter over a real accounts service. */
export function defineRecipientDirectoryContract(engine: string, open: () => Promise<DirectoryFixture>): void {
  describe(engineSuiteTitle("RecipientDirectory contract", engine), { timeout: 60_000 }, () => {
    let fixture: DirectoryFixture;
    before(async () => {
      fixture = await open();
    });
    after(() => fixture?.close());

    it("gives each account's email exactly as the account holds it, many users in one call", async () => {
      const emails = [`Ann.${randomUUID().slice(0, 6)}+shop@Example.org`, `bob-${randomUUID().slice(0, 6)}@example.com`];
      const ids = await Promise.all(emails.map((email) => fixture.signUp(email)));
      const found = await fixture.directory.findMany(ids);
      assert.deepEqual(
        ids.map((id) => found.get(id)),
        ids.map((id, i) => ({ userId: id, email: emails[i] })),
      );
    });

    it("leaves out ids without an account, hostile ones included", async () => {
      const id = await fixture.signUp(`cid-${randomUUID().slice(0, 6)}@example.com`);
      const missing = ["usr_missing", "x".repeat(10_000), "' OR '1'='1", "__proto__", ""];
      const found = await fixture.directory.findMany([id, ...missing]);
      assert.deepEqual([...found.keys()], [id]);
    });
  });
}
