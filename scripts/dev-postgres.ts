// A standalone embedded PostgreSQL for development tasks that need a database but not the
// platform, such as `npm run db:migrate:create` (which diffs against a shadow database).
// `npm run db:dev` then DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:55432/storefront
import { createLogger, loadConfig, runUntilSignal } from "#kernel";
import { startEmbeddedPostgres } from "#kernel/relational";

const config = loadConfig();
const logger = createLogger(config.logLevel, { service: "dev-postgres" });
const port = Number(process.env.DEV_PG_PORT ?? 55432);
const server = await startEmbeddedPostgres({ dataDir: `${config.relational.embeddedDir}-dev`, port, logger });
process.stdout.write(`PostgreSQL ready: DATABASE_URL=${server.databaseUrl}\n`);
runUntilSignal(logger, [server.stop]);
