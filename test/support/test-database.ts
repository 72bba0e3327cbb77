import { randomUUID } from "node:crypto";
import pg from "pg";

export type DatabaseEngine = "embedded" | "real";


const adminUrl = (engine: DatabaseEngine): string | undefined =>
  engine === "embedded" ? process.env.TEST_PG_EMBEDDED_URL : process.env.TEST_PG_REAL_URL;

export const hasDatabase = (engine: DatabaseEngine): boolean => adminUrl(engine) !== undefined;

/**
 * A fresh, migrated database for one test file, cloned from the template the test runner
 * migrated once (CREATE DATABASE ... TEMPLATE takes milliseconds; migrating takes seconds).
 */
export async function createTestDatabase(engine: DatabaseEngine = "embedded"): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = adminUrl(engine);
  if (!admin) throw new Error(`No ${engine} PostgreSQL for tests: run tests through \`npm test\`, which starts one`);
  const template = process.env.TEST_PG_TEMPLATE;
  if (!template) throw new Error("No template database: run tests through `npm test`, which migrates one");
  const name = `test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
