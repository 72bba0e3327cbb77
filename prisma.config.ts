import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

const projectRoot = path.dirname(fileURLToPath(import.meta.url));

// Prisma's CLI downloads its native schema engine before generate/validate/format,
// even though those commands never run it, and no download is possible offline.
// Pointing the engine at an existing stub skips the download; migrations run through
// the WebAssembly schema engine in scripts/migrate/ instead (see prisma/README.md).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(projectRoot, "prisma", "offline-engine-stub.sh");

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: {
    path: "prisma/migrations",
  },
  datasource: {
    // Not env("DATABASE_URL"): that throws when the variable is unset, which breaks generate.
    url: process.env.DATABASE_URL ?? "postgresql://postgres:postgres@127.0.0.1:5432/storefront",
  },
});
