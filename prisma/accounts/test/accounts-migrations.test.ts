import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { withMysqlConnection } from "../migrator/connection.js";
import { deployMigrations, migrationStatus, MIGRATIONS_DIR, readMigrationFiles } from "../migrator/mysql-migrator.js";
import { findSchemaDrift } from "../migrator/schema-drift.js";
import { createMysqlTestDatabase } from "../../../subgraphs/accounts/test/support/mysql-test-database.js";

describe("accounts migration files", () => {
  it("are ordered, each a folder with a migration.sql", () => {
    const files = readMigrationFiles();
    assert.ok(files.length > 0);
    assert.deepEqual(files.map((f) => f.name), [...files.map((f) => f.name)].sort());
    for (const file of files) assert.match(file.name, /^\d{14}_[a-z0-9_]+$/);
  });
});

describeWithRealEngine({ suite: "Accounts migrations and drift check", engine: "mysql", variable: "MYSQL_URL" }, (baseUrl) => {
  describe("Accounts migrations and drift check [mysql]", { timeout: 120_000 }, () => {
    const databases: { drop(): Promise<void> }[] = [];
    const fresh = async (migrate = true) => {
      const database = await createMysqlTestDatabase(baseUrl, { migrate });
      databases.push(database);
      return database.url;
    };
    const scratch = mkdtempSync(join(tmpdir(), "accounts-migrations-"));
    after(async () => {
      await Promise.all(databases.map((d) => d.drop()));
      rmSync(scratch, { recursive: true, force: true });
    });

    it("applies every migration to an empty database once, and then nothing", async () => {
      const url = await fresh(false);
      const names = readMigrationFiles().map((f) => f.name);
      assert.deepEqual((await migrationStatus(url)).pending, names);
      assert.deepEqual((await deployMigrations(url)).applied, names);
      assert.deepEqual((await deployMigrations(url)).applied, []);
      const status = await migrationStatus(url);
      assert.deepEqual(status, { applied: names, pending: [], changed: [], failed: [], unknown: [] });
    });

    it("lets concurrent deploys apply each migration exactly once", async () => {
      const url = await fresh(false);
      const results = await Promise.all([deployMigrations(url), deployMigrations(url), deployMigrations(url)]);
      assert.deepEqual(results.flatMap((r) => r.applied), readMigrationFiles().map((f) => f.name));
    });

    it("leaves a migrated database exactly as schema.prisma describes it (no drift)", async () => {
      assert.deepEqual(await findSchemaDrift(await fresh()), []);
    });

    it("reports a missing unique index, a wrong nullability, a missing and an extra column, and an extra table", async () => {
      const url = await fresh();
      await withMysqlConnection(url, async (connection) => {
        await connection.query("ALTER TABLE `User` DROP INDEX `User_emailKey_key`");
        await connection.query("ALTER TABLE `Address` MODIFY `line2` VARCHAR(200) NOT NULL DEFAULT ''");
        await connection.query("ALTER TABLE `Address` DROP COLUMN `phone`");
        await connection.query("ALTER TABLE `RefreshToken` ADD COLUMN `note` TEXT NULL");
        await connection.query("CREATE TABLE `Stray` (id INT PRIMARY KEY)");
      });
      assert.deepEqual((await findSchemaDrift(url)).sort(), [
        "column Address.line2 is NOT NULL but the schema says optional",
        "column Address.phone is missing",
        "column RefreshToken.note is not in the schema",
        "table Stray is not in the schema",
        "unique index on User(emailKey) is missing",
      ]);
    });

    it("reports a dropped table, a changed column type and a missing foreign key", async () => {
      const url = await fresh();
      await withMysqlConnection(url, async (connection) => {
        await connection.query("ALTER TABLE `RefreshToken` DROP FOREIGN KEY `RefreshToken_userId_fkey`");
        await connection.query("ALTER TABLE `User` MODIFY `name` VARCHAR(50) NOT NULL");
      });
      const problems = await findSchemaDrift(url);
      assert.ok(problems.includes("column User.name is varchar(50), the schema expects varchar(100)"), problems.join("\n"));
      assert.ok(problems.includes("foreign key RefreshToken(userId) -> User(id) is missing"), problems.join("\n"));
      await withMysqlConnection(url, (connection) => connection.query("SET FOREIGN_KEY_CHECKS = 0; DROP TABLE `Address`; SET FOREIGN_KEY_CHECKS = 1", []), { multipleStatements: true });
      assert.ok((await findSchemaDrift(url)).includes("table Address (model Address) is missing"));
    });

    it("compares email keys exactly on a fresh database and on one migrated before, keeping its accounts", async () => {
      const EXACT = "20261206090000_email_key_compared_exactly";
      const dir = join(scratch, "before-exact");
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      rmSync(join(dir, EXACT), { recursive: true });
      const existing = await fresh(false);
      await deployMigrations(existing, dir);
      const insert = (id: string, key: string) =>
        withMysqlConnection(existing, (c) => c.query("INSERT INTO `User` (id, email, emailKey, name, passwordHash, updatedAt) VALUES (?, ?, ?, 'X', 'scrypt$h', NOW(3))", [id, key, key]));
      const found = async (url: string, key: string) =>
        withMysqlConnection(url, async (c) => ((await c.query("SELECT id FROM `User` WHERE emailKey = ?", [key])) as { id: string }[]).map((row) => row.id));
      await insert("usr_jose", "jose@example.com");
      assert.deepEqual(await found(existing, "jos\u00e9@example.com"), ["usr_jose"], "before: the collation folds the accent");
      assert.deepEqual(await found(existing, "jo\u200bse@example.com"), ["usr_jose"], "before: the collation skips the zero-width space");

      assert.deepEqual((await deployMigrations(existing)).applied, [EXACT]);
      for (const url of [existing, await fresh()]) {
        const [column] = await withMysqlConnection(url, (c) => c.query("SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'User' AND COLUMN_NAME = 'emailKey'"));
        assert.equal((column as { COLLATION_NAME: string }).COLLATION_NAME, "utf8mb4_bin");
        assert.deepEqual(await findSchemaDrift(url), []);
      }
      assert.deepEqual(await found(existing, "jose@example.com"), ["usr_jose"], "the account is still found by its own key");
      assert.deepEqual(await found(existing, "jos\u00e9@example.com"), []);
      assert.deepEqual(await found(existing, "jo\u200bse@example.com"), []);
      await insert("usr_jose_accent", "jos\u00e9@example.com");
      assert.deepEqual(await found(existing, "jos\u00e9@example.com"), ["usr_jose_accent"]);
    });

    it("reports an email key column whose collation folds accents", async () => {
      const url = await fresh();
      await withMysqlConnection(url, (c) => c.query("ALTER TABLE `User` MODIFY `emailKey` VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL"));
      assert.deepEqual(await findSchemaDrift(url), ["column User.emailKey compares with utf8mb4_unicode_ci, the schema expects a binary (_bin) collation"]);
    });

    it("refuses to deploy when an applied migration file was edited afterwards", async () => {
      const url = await fresh();
      const dir = join(scratch, "edited");
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      const [first] = readMigrationFiles(dir);
      appendFileSync(join(dir, first!.name, "migration.sql"), "\n-- edited after it was applied\n");
      assert.deepEqual((await migrationStatus(url, dir)).changed, [first!.name]);
      await assert.rejects(deployMigrations(url, dir), /edited afterwards/);
    });

    it("records a migration that fails half way and refuses further deploys until it is repaired", async () => {
      const url = await fresh();
      const dir = join(scratch, "broken");
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      const name = "29991231000000_broken";
      cpSync(join(dir, readMigrationFiles(dir)[0]!.name), join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, "migration.sql"), "CREATE TABLE `Half` (id INT PRIMARY KEY);\nTHIS IS NOT SQL;\n");
      await assert.rejects(deployMigrations(url, dir), /29991231000000_broken failed/);
      assert.deepEqual((await migrationStatus(url, dir)).failed, [name]);
      await assert.rejects(deployMigrations(url, dir), /failed half way/);
    });
  });
});
