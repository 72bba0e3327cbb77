import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

const accountsDir = path.dirname(fileURLToPath(import.meta.url));

// The accounts client (MySQL): `npx prisma generate --config prisma/accounts/prisma.config.ts`.
// Generate needs no engine; the stub only stops the CLI from trying to download one offline.
// Migrations are hand-written SQL applied by prisma/accounts/migrator (see README.md).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(accountsDir, "..", "offline-engine-stub.sh");

export default defineConfig({
  schema: path.join(accountsDir, "schema.prisma"),
  datasource: {
    url: process.env.MYSQL_URL ?? "mysql://storefront:storefront@127.0.0.1:3306/accounts",
  },
});
