// Loads the Prisma schema (one file, or every .prisma file of a schema folder) in the shape
// the schema engine takes.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { SchemasContainer } from "./schema-engine.js";

export async function loadSchema(schemaPath: string): Promise<SchemasContainer> {
  const resolved = path.resolve(schemaPath);
  const info = await stat(resolved).catch(() => {
    throw new Error(`Prisma schema not found at ${schemaPath}`);
  });
  const files = info.isDirectory()
    ? (await readdir(resolved, { recursive: true }))
        .filter((name) => name.endsWith(".prisma"))
        .sort()
        .map((name) => path.join(resolved, name))
    : [resolved];
  return {
    files: await Promise.all(files.map(async (file) => ({ path: file, content: await readFile(file, "utf8") }))),
  };
}
