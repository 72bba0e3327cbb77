import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readObjectBytes, type ObjectStore } from "#kernel";
import { archiveObjectKey, archivePrefix, type ArchiveRow } from "../domain/order-archive.js";
import type { ArchiveFiles } from "../ports/order-archive.js";

type DuckDB = typeof import("@duckdb/node-api");
type Connection = Awaited<ReturnType<Awaited<ReturnType<DuckDB["DuckDBInstance"]["create"]>>["connect"]>>;

const PARQUET = "application/vnd.apache.parquet";
// One archive file is at most a batch of orders; far below this.
const MAX_FILE_BYTES = 2_000_000_000;

/** The namespace of a database's archive files: its name (readers use the keys the directory holds, whatever it is). */
export const archiveNamespace = (databaseUrl: string) => decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || "default";

const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * Archive files written and read by DuckDB (an in-process engine, loaded on first use) and
 * kept in the object store. DuckDB reads local files, so a file is fetched once into a local
 * cache and read there afterwards: archive files never change once written (their key holds
 * their batch id), so a cached copy is never stale.
 */
export function createDuckDbArchiveFiles(deps: { objects: ObjectStore | (() => Promise<ObjectStore>); namespace: string; cacheDir?: string }): ArchiveFiles & { close(): Promise<void> } {
  const store = async () => (typeof deps.objects === "function" ? deps.objects() : deps.objects);
  const cacheDir = deps.cacheDir ?? join(tmpdir(), "orders-archive-cache");
  let opened: Promise<{ duck: DuckDB; instance: Awaited<ReturnType<DuckDB["DuckDBInstance"]["create"]>> }> | undefined;
  const engine = () =>
    (opened ??= (async () => {
      const duck = await import("@duckdb/node-api");
      return { duck, instance: await duck.DuckDBInstance.create(":memory:", { threads: "2" }) };
    })());

  async function withConnection<T>(use: (connection: Connection, duck: DuckDB) => Promise<T>): Promise<T> {
    const { duck, instance } = await engine();
    const connection = await instance.connect();
    try {
      return await use(connection, duck);
    } finally {
      connection.closeSync();
    }
  }

  /** The local copy of a stored file, fetched when missing. */
  async function localCopy(key: string): Promise<string> {
    const path = join(cacheDir, `${createHash("sha256").update(key).digest("hex")}.parquet`);
    if (await stat(path).then(() => true, () => false)) return path;
    const object = await (await store()).get(key);
    if (!object) throw new Error(`Archive file ${key} is missing from the object store`);
    const bytes = await readObjectBytes(object, MAX_FILE_BYTES);
    await mkdir(cacheDir, { recursive: true });
    const partial = `${path}.${randomUUID()}.part`;
    await writeFile(partial, bytes);
    await rename(partial, path);
    return path;
  }

  const toRows = (objects: Record<string, unknown>[]): ArchiveRow[] =>
    objects.map((r) => ({ id: r.id as string, userId: r.userId as string, createdAt: new Date(Number(r.createdAtMs)), document: r.document as string }));

  const SELECT = `SELECT id, "userId", epoch_ms("createdAt") AS "createdAtMs", document`;

  return {
    keyFor: (month, batchId) => archiveObjectKey(deps.namespace, month, batchId),

    async write(key, rows) {
      const dir = join(cacheDir, "writing");
      await mkdir(dir, { recursive: true });
      const path = join(dir, `${randomUUID()}.parquet`);
      try {
        await withConnection(async (connection) => {
          const table = `rows_${randomUUID().replaceAll("-", "")}`;
          await connection.run(`CREATE TABLE ${table} (id VARCHAR, "userId" VARCHAR, "createdAtMs" BIGINT, document VARCHAR)`);
          const appender = await connection.createAppender(table);
          for (const row of rows) {
            appender.appendVarchar(row.id);
            appender.appendVarchar(row.userId);
            appender.appendBigInt(BigInt(row.createdAt.getTime()));
            appender.appendVarchar(row.document);
            appender.endRow();
          }
          appender.closeSync();
          // Sorted by customer: a customer's history reads the few row groups that hold them.
          await connection.run(
            `COPY (SELECT id, "userId", make_timestamp("createdAtMs" * 1000) AS "createdAt", document FROM ${table} ORDER BY "userId", "createdAtMs" DESC, id)
             TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 8192)`,
          );
          await connection.run(`DROP TABLE ${table}`);
        });
        const bytes = await readFile(path);
        await (await store()).put(key, bytes, { contentType: PARQUET });
        return bytes.length;
      } finally {
        await rm(path, { force: true });
      }
    },

    async readAll(key) {
      // Read from the store itself, not a copy cached before: this is the verification read.
      const path = join(cacheDir, "verifying", `${randomUUID()}.parquet`);
      await mkdir(join(cacheDir, "verifying"), { recursive: true });
      try {
        const object = await (await store()).get(key);
        if (!object) throw new Error(`Archive file ${key} is missing from the object store`);
        await writeFile(path, await readObjectBytes(object, MAX_FILE_BYTES));
        return await withConnection(async (connection) => toRows((await connection.runAndReadAll(`${SELECT} FROM read_parquet(${sqlString(path)})`)).getRowObjectsJS()));
      } finally {
        await rm(path, { force: true });
      }
    },

    async readByIds(keys, ids) {
      if (keys.length === 0 || ids.length === 0) return [];
      const paths = await Promise.all([...new Set(keys)].map(localCopy));
      return withConnection(async (connection) => {
        const list = `[${paths.map(sqlString).join(", ")}]`;
        const marks = ids.map((_, i) => `$${i + 1}`).join(", ");
        const result = await connection.runAndReadAll(`${SELECT} FROM read_parquet(${list}) WHERE id IN (${marks})`, [...ids]);
        return toRows(result.getRowObjectsJS());
      });
    },

    async list() {
      return (await (await store()).list(archivePrefix(deps.namespace))).map((info) => info.key);
    },

    remove: async (key) => (await store()).delete(key),

    async close() {
      if (opened) (await opened).instance.closeSync();
    },
  };
}
