import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedUserStore } from "../../src/adapters/embedded-user-store.js";
import { PrismaUserStore } from "../../src/adapters/prisma-user-store.js";
import { defineUserStoreContract } from "./user-store.contract.js";
import { createMysqlTestDatabase } from "../support/mysql-test-database.js";

defineUserStoreContract("embedded", () => EmbeddedUserStore.open());

const scratch = mkdtempSync(join(tmpdir(), "accounts-store-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
defineUserStoreContract("embedded, kept in a file", () => EmbeddedUserStore.open(join(scratch, "contract", "users.json")));

describe("EmbeddedUserStore kept in a file", () => {
  it("finds users, addresses and refresh tokens again after a restart", async () => {
    const file = join(scratch, "restart", "users.json");
    const first = await EmbeddedUserStore.open(file);
    const createdAt = new Date("2026-01-01T12:00:00.000Z");
    const user = await first.createUser({ id: "usr_1", email: "Ann@x.test", emailKey: "ann@x.test", name: "Ann", role: "customer", passwordHash: "scrypt$h", createdAt });
    const address = await first.addAddress(user.id, { id: "adr_1", recipientName: "Ann", line1: "Main 1", line2: null, city: "Berlin", region: null, postalCode: "10115", country: "DE", phone: null, createdAt }, false);
    const token = { id: "rt_1", userId: user.id, familyId: "fam_1", tokenHash: "b".repeat(64), expiresAt: createdAt, createdAt, usedAt: null, revokedAt: null };
    await first.insertRefreshToken(token);
    await first.close();

    const second = await EmbeddedUserStore.open(file);
    assert.deepEqual(await second.findCredentials("ann@x.test"), { user: { ...user, defaultAddressId: "adr_1" }, passwordHash: "scrypt$h" });
    assert.deepEqual(await second.defaultAddress(user.id), address);
    assert.deepEqual(await second.findRefreshToken("rt_1"), token);
    await second.close();
  });
});

describeWithRealEngine({ suite: "UserStore contract", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  let database: Awaited<ReturnType<typeof createMysqlTestDatabase>> | undefined;
  after(async () => database?.drop());
  defineUserStoreContract("mysql", async () => {
    database = await createMysqlTestDatabase(url);
    return PrismaUserStore.connect(database.url);
  });
});
