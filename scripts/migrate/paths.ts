// Default locations, the same as prisma.config.ts (a test checks they agree). Resolved from
// this file, not from the working directory, so start-up code can run from anywhere.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_SCHEMA_PATH = path.join(PROJECT_ROOT, "prisma", "schema.prisma");
export const DEFAULT_MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma", "migrations");
export const DEFAULT_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:5432/storefront";

export function databaseUrlFromEnv(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}
