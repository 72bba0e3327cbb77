import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { startAccounts } from "../../../subgraphs/accounts/test/support/start-accounts.js";
import { createMysqlTestDatabase } from "../../../subgraphs/accounts/test/support/mysql-test-database.js";
import { createAccountsSubgraphRecipientDirectory, createInProcessRecipientDirectory } from "../src/index.js";
import { defineRecipientDirectoryContract, type DirectoryFixture } from "./recipient-directory.contract.js";

/** An accounts subgraph with its directory: the in-process adapter, or the subgraph adapter over HTTP. */
async function fixture(adapter: "in-process" | "accounts-subgraph", env: Record<string, string> = {}): Promise<DirectoryFixture> {
  const running = await startAccounts(env);
  const directory =
    adapter === "in-process"
      ? createInProcessRecipientDirectory(running.accounts.accounts.findByIds)
      : createAccountsSubgraphRecipientDirectory({ url: running.accounts.url, internalSecret: running.config.auth.internalSecret });
  return {
    directory,
    signUp: async (email) => (await running.accounts.accounts.signUp({ email, password: "password-123", name: "Customer" })).user.id,
    close: async () => {
      await directory.close?.();
      await running.close();
    },
  };
}

defineRecipientDirectoryContract("in-process", () => fixture("in-process"));
defineRecipientDirectoryContract("accounts-subgraph", () => fixture("accounts-subgraph"));

describeWithRealEngine({ suite: "RecipientDirectory contract", engine: "accounts-subgraph on mysql", variable: "MYSQL_URL" }, (url) => {
  let database: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;
  after(async () => database?.drop());
  defineRecipientDirectoryContract("accounts-subgraph on mysql", async () => {
    database = await createMysqlTestDatabase(url);
    return fixture("accounts-subgraph", { MYSQL_URL: database.url });
  });
});

describe("accounts subgraph recipient directory", () => {
  it("rejects while accounts cannot be reached, so the message is retried rather than skipped", async () => {
    const directory = createAccountsSubgraphRecipientDirectory({ url: "http://127.0.0.1:9/graphql", internalSecret: "any-secret-0123456789" });
    await assert.rejects(directory.findMany(["usr_1"]), (error: Error & { extensions?: { code?: string } }) => error.extensions?.code === "SERVICE_UNAVAILABLE");
    await directory.close?.();
  });
});
