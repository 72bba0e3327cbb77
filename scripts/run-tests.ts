// The whole test suite (`npm test`): type check, then every *.test.ts under node's test
// runner, with a migrated template database on an embedded PostgreSQL (and on the real
// one when DATABASE_URL is set) that test files clone in milliseconds.
// Arguments narrow the run to test files whose path contains one of them; node's own
// `--test-*=` options (such as `--test-name-pattern=...`) are passed on to its test runner.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createLogger } from "#kernel";
import { startEmbeddedPostgres } from "#kernel/relational";
import { applyMigrations } from "./migrate/apply-migrations.js";
import { randomUUID } from "node:crypto";

const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const skipTypecheck = process.argv.includes("--no-typecheck");
const runnerOptions = process.argv.slice(2).filter((a) => a.startsWith("--test-") && a.includes("="));
const SKIP_DIRS = new Set(["node_modules", ".git", ".run", ".data", "dist"]);

function findTests(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    // Dot-directories are tools' and local scratch, never the project's tests.
    if (SKIP_DIRS.has(entry) || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findTests(path, found);
    else if (entry.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

const files = findTests(".").filter((f) => filters.length === 0 || filters.some((p) => f.includes(p))).sort();
if (files.length === 0) {
  console.error(`No test files match ${filters.join(", ")}`);
  process.exit(1);
}

if (!skipTypecheck) {
  const typecheck = spawnSync("npx", ["tsc", "-p", "."], { stdio: "inherit" });
  if (typecheck.status !== 0) {
    console.error("Type check failed");
    process.exit(1);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// One template per run, so runs sharing a real PostgreSQL never clone each other's template.
const TEMPLATE_DATABASE = `template_${randomUUID().replaceAll("-", "").slice(0, 12)}`;

async function onAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function prepareTemplate(adminUrl: string, migrationUrl: string): Promise<void> {
  await onAdmin(adminUrl, `CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await applyMigrations(migrationUrl);
}

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

const logger = createLogger("warn", { service: "test-runner" });
const dataDir = mkdtempSync(join(tmpdir(), "storefront-test-pg-"));
const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: "storefront", logger, persistent: false });
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  TEST_PG_TEMPLATE: TEMPLATE_DATABASE,
  TEST_PG_EMBEDDED_URL: withDatabase(embedded.databaseUrl, "postgres"),
};
await prepareTemplate(env.TEST_PG_EMBEDDED_URL!, withDatabase(embedded.databaseUrl, TEMPLATE_DATABASE));
if (process.env.DATABASE_URL) {
  env.TEST_PG_REAL_URL = withDatabase(process.env.DATABASE_URL, "postgres");
  await prepareTemplate(env.TEST_PG_REAL_URL, withDatabase(process.env.DATABASE_URL, TEMPLATE_DATABASE));
}

// Not spawnSync: this process must keep draining the embedded PostgreSQL's log pipes while
// the tests run, or a burst of server log lines fills the pipe and every backend blocks.
const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...runnerOptions, ...files], { stdio: "inherit", env });
const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
if (env.TEST_PG_REAL_URL) await onAdmin(env.TEST_PG_REAL_URL, `DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`).catch(() => undefined);
await embedded.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(status ?? 1);
