import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, createSubgraphClient, EmbeddedEventBus, EmbeddedKeyValueStore, loadConfig, type Platform, type SubgraphClient } from "#kernel";
import { startAccountsSubgraph, type RunningAccounts } from "../../subgraphs/accounts/src/accounts-subgraph.js";
import { createAccountsSubjectDirectory } from "../src/auth/accounts-subject-directory.js";
import { cachedSubjectDirectory } from "../src/auth/cached-subject-directory.js";
import type { SubjectDirectory } from "../src/auth/subject-directory.js";

describe("the accounts subject directory, against the accounts subgraph", () => {
  const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" });
  let accounts: RunningAccounts;
  let client: SubgraphClient;
  let platform: Platform;
  before(async () => {
    const bus = new EmbeddedEventBus();
    const kv = new EmbeddedKeyValueStore();
    platform = { config, logger: createLogger("silent"), databaseUrl: "postgresql://unused", bus, kv, engines: { relational: "none", events: bus.engine, cache: kv.engine }, close: async () => {
        await bus.close();
        await kv.close();
      } };
    accounts = await startAccountsSubgraph(platform, { port: 0 });
    client = createSubgraphClient({ url: accounts.url, audience: "accounts", internalSecret: config.auth.internalSecret, serviceName: "gateway" });
  });
  after(async () => {
    await client?.close();
    await accounts?.close();
    await platform?.close();
  });

  it("finds a user who signed up, and no one for an id nobody has", async () => {
    const { user } = await accounts.accounts.signUp({ email: "subject@example.com", password: "password-1", name: "Subject" });
    const directory = createAccountsSubjectDirectory(client);
    assert.equal(await directory.hasAccount(user.id), true);
    assert.equal(await directory.hasAccount("demo-admin"), false);
    assert.equal(await directory.hasAccount("usr_000000000000000000000000"), false);
  });

  it("fails, rather than guessing, when the accounts subgraph cannot answer", async () => {
    const unreachable = createSubgraphClient({ url: "http://127.0.0.1:9/graphql", audience: "accounts", internalSecret: config.auth.internalSecret, serviceName: "gateway" });
    await assert.rejects(createAccountsSubjectDirectory(unreachable).hasAccount("usr_1"));
    await unreachable.close();
  });
});

describe("the subject cache", () => {
  function scripted(answers: Record<string, boolean>) {
    const asked: string[] = [];
    let failing = false;
    const directory: SubjectDirectory = {
      hasAccount: async (userId) => {
        asked.push(userId);
        await new Promise((resolve) => setImmediate(resolve));
        if (failing) throw new Error("accounts is down");
        return answers[userId] ?? false;
      },
    };
    return { directory, asked, fail: (value: boolean) => (failing = value) };
  }

  it("asks once for many requests of one subject, and again only after the answer has aged", async () => {
    const { directory, asked } = scripted({ usr_a: true });
    let now = 0;
    const cached = cachedSubjectDirectory(directory, { knownForMs: 1_000, unknownForMs: 100, now: () => now });
    assert.deepEqual(await Promise.all([cached.hasAccount("usr_a"), cached.hasAccount("usr_a"), cached.hasAccount("usr_a")]), [true, true, true]);
    assert.equal(await cached.hasAccount("usr_a"), true);
    assert.deepEqual(asked, ["usr_a"]);
    now = 1_001;
    assert.equal(await cached.hasAccount("usr_a"), true);
    assert.deepEqual(asked, ["usr_a", "usr_a"]);
  });

  it("remembers an unknown subject for a shorter while, so a new account is not refused for long", async () => {
    const answers: Record<string, boolean> = {};
    const { directory, asked } = scripted(answers);
    let now = 0;
    const cached = cachedSubjectDirectory(directory, { knownForMs: 1_000, unknownForMs: 100, now: () => now });
    assert.equal(await cached.hasAccount("usr_new"), false);
    assert.equal(await cached.hasAccount("usr_new"), false);
    answers.usr_new = true;
    now = 101;
    assert.equal(await cached.hasAccount("usr_new"), true);
    assert.deepEqual(asked, ["usr_new", "usr_new"]);
  });

  it("keeps accepting a confirmed subject while the directory is down, but never an unconfirmed one", async () => {
    const { directory, fail } = scripted({ usr_a: true });
    let now = 0;
    const cached = cachedSubjectDirectory(directory, { knownForMs: 1_000, unknownForMs: 100, now: () => now });
    assert.equal(await cached.hasAccount("usr_a"), true);
    fail(true);
    now = 5_000;
    assert.equal(await cached.hasAccount("usr_a"), true);
    await assert.rejects(cached.hasAccount("usr_b"), /accounts is down/);
  });

  it("holds at most maxEntries answers, dropping the oldest", async () => {
    const { directory, asked } = scripted({ usr_a: true, usr_b: true, usr_c: true });
    const cached = cachedSubjectDirectory(directory, { maxEntries: 2 });
    for (const id of ["usr_a", "usr_b", "usr_c", "usr_c", "usr_b", "usr_a"]) await cached.hasAccount(id);
    assert.deepEqual(asked, ["usr_a", "usr_b", "usr_c", "usr_a"]);
  });
});
