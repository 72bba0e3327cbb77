// What every command works on, and where it reports to.
import path from "node:path";
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH, databaseUrlFromEnv } from "./paths.js";

export interface MigrateContext {
  databaseUrl: string;
  schemaPath: string;
  migrationsDir: string;
  /** Normal output (stdout for the CLI). */
  out: (line: string) => void;
  /** Problems (stderr for the CLI). */
  err: (line: string) => void;
}

export function defaultContext(overrides: Partial<MigrateContext> = {}): MigrateContext {
  return {
    databaseUrl: databaseUrlFromEnv(),
    schemaPath: DEFAULT_SCHEMA_PATH,
    migrationsDir: DEFAULT_MIGRATIONS_DIR,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    ...overrides,
  };
}

/** A path as shown to people: relative to the working directory when inside it. */
export function displayPath(target: string): string {
  const relative = path.relative(process.cwd(), target);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : target;
}
