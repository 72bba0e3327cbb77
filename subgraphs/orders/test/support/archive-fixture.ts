import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { EmbeddedObjectStore, type ObjectStore } from "#kernel";
import { S3ObjectStore } from "../../../../kernel/src/objects/s3-object-store.js";
import { createTestDatabase, type DatabaseEngine } from "../../../../test/support/test-database.js";
import { BATCH_TABLE, FILL_BATCH, historyParameters, INSERT_HISTORY_BATCH } from "../../../../scripts/orders/order-history-sql.js";
import { archiveNamespace, createDuckDbArchiveFiles } from "../../src/adapters/duckdb-archive-files.js";

const ROOT = new URL("../../../../", import.meta.url).pathname;

/**
 * A migrated database with generated order history and the object store the archive job
 * writes to: a folder (embedded) or an S3 bucket of its own on the real server.
 */
export async function startArchiveFixture(engine: DatabaseEngine, s3Url?: string) {
  const database = await createTestDatabase(engine);
  const dir = await mkdtemp(join(tmpdir(), "orders-archive-test-"));
  const bucket = `orders-archive-${randomUUID().slice(0, 8)}`;
  const s3 = s3Url
    ? { url: s3Url, accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "", secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "", bucket, region: process.env.S3_REGION ?? "us-east-1" }
    : undefined;
  let objects: ObjectStore;
  if (s3) {
    const store = new S3ObjectStore(s3);
    await store.connect();
    objects = store;
  } else objects = new EmbeddedObjectStore({ dir: join(dir, "objects"), secret: "test", uploadBaseUrl: () => "" });
  const files = createDuckDbArchiveFiles({ objects, namespace: archiveNamespace(database.url), cacheDir: join(dir, "cache") });
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  await sql.query("SET TIME ZONE 'UTC'");

  // The job's environment: this database and this store, nothing of the developer's.
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: database.url, EMBEDDED_DATA_DIR: dir, LOG_LEVEL: "silent" };
  for (const name of ["S3_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "ORDER_ARCHIVE_AFTER_DAYS"]) delete env[name];
  if (s3) Object.assign(env, { S3_URL: s3.url, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey });

  const running = new Set<ChildProcess>();

  return {
    url: database.url,
    sql,
    objects,
    files,

    /** Generated orders over `years`, as scripts/orders/generate.ts writes them. */
    async seed(count: number, options: { customers: number; years: number; seed?: number }) {
      await sql.query(BATCH_TABLE).catch(() => undefined);
      await sql.query("BEGIN");
      await sql.query(FILL_BATCH, historyParameters({ seed: options.seed ?? 7, total: count, customers: options.customers, years: options.years, endAt: new Date() }, 0, count));
      for (const statement of INSERT_HISTORY_BATCH) await sql.query(statement);
      await sql.query("COMMIT");
    },

    /**
     * Starts the archive job as its own process; `steps` yields each JSON line it prints.
     * `exited` resolves with its exit code (or signal).
     */
    startJob(args: string[] = []) {
      const child = spawn(process.execPath, ["--import", "tsx", "scripts/orders/archive.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      running.add(child);
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
        child.on("exit", (code, signal) => {
          running.delete(child);
          resolve({ code, signal, stderr });
        }),
      );
      const lines = createInterface({ input: child.stdout! });
      const seen: Record<string, unknown>[] = [];
      const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
      lines.on("line", (text) => {
        const line = JSON.parse(text) as Record<string, unknown>;
        seen.push(line);
        for (const waiter of [...waiters]) if (waiter.match(line)) waiter.resolve(line);
      });
      return {
        child,
        exited,
        seen,
        /** Resolves on the first line that matches, or rejects when the job exits before it. */
        waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
          const already = seen.find(match);
          if (already) return Promise.resolve(already);
          return Promise.race([
            new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve })),
            exited.then(({ code, signal, stderr: err }) => {
              throw new Error(`archive job exited (${code ?? signal}) before the awaited line: ${err.slice(-2000)}`);
            }),
          ]);
        },
      };
    },

    async close() {
      for (const child of running) child.kill("SIGKILL");
      await sql.end();
      await files.close();
      if (s3) for (const info of await objects.list("")) await objects.delete(info.key);
      await objects.close();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type ArchiveFixture = Awaited<ReturnType<typeof startArchiveFixture>>;
