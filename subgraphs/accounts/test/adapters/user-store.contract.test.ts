import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { PrismaUserStore } from "../../src/adapters/prisma-user-store.js";
import { defineUserStoreContract } from "./user-store.contract.js";
import { createMysqlTestDatabase, statementRunningElsewhere } from "../support/mysql-test-database.js";

defineUserStoreContract("embedded", (pauses) => EmbeddedUserStore.open(undefined, { pauses }));

const scratch = mkdtempSync(join(tmpdir(), "accounts-store-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
defineUserStoreContract("embedded, kept in a file", (pauses) => EmbeddedUserStore.open(join(scratch, "contract", "users.json"), { pauses }));

describe("EmbeddedUserStore kept in a file", () => {
  it("finds users, addresses and refresh tokens again after a restart", async () => {
    const file = join(scratch, "restart", "users.json");
    const first = await EmbeddedUserStore.open(file);
    const createdAt = new Date("2026-01-01T12:00:00.000Z");
    const user = await first.createUser({ id: "usr_1", email: "Ann@x.test", emailKey: "ann@x.test", name: "Ann", role: "customer", passwordHash: "scrypt$h", createdAt });
    const address = await first.addAddress(user.id, { id: "adr_1", recipientName: "Ann", line1: "Main 1", line2: null, city: "Berlin", region: null, postalCode: "10115", country: "DE", phone: null, createdAt }, false, 20);
    const token = { id: "rt_1", userId: user.id, familyId: "fam_1", tokenHash: "b".repeat(64), expiresAt: createdAt, createdAt, usedAt: null, revokedAt: null };
    await first.insertRefreshToken(token);
    await first.close();

    const second = await EmbeddedUserStore.open(file);
    assert.deepEqual(await second.findCredentials("ann@x.test"), { user: { ...user, defaultAddressId: "adr_1" }, passwordHash: "scrypt$h" });
    assert.deepEqual(await second.defaultAddress(user.id), address);
    assert.deepEqual(await second.findRefreshToken("rt_1"), token);
    await second.close();
  });

  it("keeps one-time tokens and email verification across a restart, and reads a file written before they existed", async () => {
    const file = join(scratch, "tokens", "users.json");
    const first = await EmbeddedUserStore.open(file);
    const createdAt = new Date("2026-01-01T12:00:00.000Z");
    const user = await first.createUser({ id: "usr_2", email: "bo@x.test", emailKey: "bo@x.test", name: "Bo", role: "customer", passwordHash: "scrypt$h", createdAt });
    const link = { tokenHash: "c".repeat(64), userId: user.id, purpose: "EMAIL_VERIFICATION" as const, expiresAt: new Date(createdAt.getTime() + 60_000), createdAt, usedAt: null };
    const reset = { ...link, tokenHash: "d".repeat(64), purpose: "PASSWORD_RESET" as const };
    await first.insertAccountToken(link);
    await first.insertAccountToken(reset);
    assert.equal(await first.verifyEmail(link.tokenHash, createdAt), user.id);
    await first.close();

    const second = await EmbeddedUserStore.open(file);
    assert.deepEqual((await second.findUsersByIds([user.id])).get(user.id)?.emailVerifiedAt, createdAt);
    assert.equal(await second.verifyEmail(link.tokenHash, createdAt), null, "a used token stays used");
    assert.deepEqual(await second.findLiveAccountToken(reset.tokenHash, "PASSWORD_RESET", createdAt), reset);
    await second.close();

    const old = join(scratch, "before-tokens", "users.json");
    mkdirSync(dirname(old), { recursive: true });
    const { emailVerifiedAt: _verified, ...olderUser } = { ...user, emailKey: "bo@x.test", passwordHash: "scrypt$h" };
    writeFileSync(old, JSON.stringify({ users: [olderUser], addresses: [], refreshTokens: [] }));
    const upgraded = await EmbeddedUserStore.open(old);
    assert.equal((await upgraded.findUsersByIds([user.id])).get(user.id)?.emailVerifiedAt, null, "accounts from before start unverified");
    assert.equal(await upgraded.findLiveAccountToken(reset.tokenHash, "PASSWORD_RESET", createdAt), null);
    await upgraded.close();
  });
});

describeWithRealEngine({ suite: "UserStore contract", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  let database: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;
  after(async () => database?.drop());
  defineUserStoreContract(
    "mysql",
    async (pauses) => {
      database = await createMysqlTestDatabase(url);
      return PrismaUserStore.connect(database.url, { pauses });
    },
    { statementWaiting: () => statementRunningElsewhere(url, database!.name) },
  );
});
