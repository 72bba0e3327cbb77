// Moves old, settled orders from PostgreSQL to Parquet files in object storage (see
// subgraphs/orders/src/domain/order-archiver.ts). `npx tsx scripts/orders/archive.ts --help`.
import { loadConfig, openObjectStore } from "#kernel";
import { archiveOrders, type ArchiveStep } from "../../subgraphs/orders/src/domain/order-archiver.js";
import { openPostgresArchiveLedger } from "../../subgraphs/orders/src/adapters/postgres-archive-ledger.js";
import { archiveNamespace, createDuckDbArchiveFiles } from "../../subgraphs/orders/src/adapters/duckdb-archive-files.js";
import { parseArguments } from "../catalog/cli-arguments.js";

const STEPS: readonly ArchiveStep[] = ["selected", "written", "verified", "published"];

const USAGE = `Usage: npx tsx scripts/orders/archive.ts [options]

Archives orders of DATABASE_URL placed more than ORDER_ARCHIVE_AFTER_DAYS days ago (730 by
default) and settled, into Parquet files in the object store (S3_URL, or the folder
EMBEDDED_DATA_DIR/objects). Safe to stop at any moment and to run again: a rerun carries on.
Prints one JSON line per batch step on stdout.

  --after-days D     override ORDER_ARCHIVE_AFTER_DAYS
  --batch B          orders per file (default 5,000)
  --pause-after S    stop still after the first batch reaches step S (${STEPS.join(", ")}),
                     for crash tests that kill the job there
`;

const args = parseArguments(process.argv.slice(2), USAGE);
const config = loadConfig();
const databaseUrl = config.relational.databaseUrl ?? args.fail("DATABASE_URL is not set: name the PostgreSQL database to archive from");
// A fresh temporary folder would lose what is archived into it: only a lasting store will do.
if (!config.objects.s3 && !config.objects.embeddedDir) args.fail("Set S3_URL or EMBEDDED_DATA_DIR: archived orders need a lasting object store");
const pauseAfter = process.argv.includes("--pause-after") ? String(process.argv[process.argv.indexOf("--pause-after") + 1]) : undefined;
if (pauseAfter !== undefined && !STEPS.includes(pauseAfter as ArchiveStep)) args.fail(`--pause-after takes one of ${STEPS.join(", ")}`);

const objects = await openObjectStore(config, { uploadBaseUrl: () => "" });
const files = createDuckDbArchiveFiles({ objects, namespace: archiveNamespace(databaseUrl) });
const ledger = await openPostgresArchiveLedger(databaseUrl);
const write = (line: object) => process.stdout.write(JSON.stringify(line) + "\n");
try {
  const startedAt = performance.now();
  const result = await archiveOrders(
    { ledger, files },
    {
      now: new Date(),
      afterDays: args.int("after-days", config.orders.archiveAfterDays),
      returnWindowDays: config.orders.returnWindowDays,
      batchSize: Math.max(1, args.int("batch", 5_000)),
      async onStep(step, batch) {
        write({ step, ...batch });
        // Held here until killed: the test's crash point.
        if (step === pauseAfter) await new Promise(() => setInterval(() => undefined, 60_000));
      },
    },
  );
  const seconds = (performance.now() - startedAt) / 1000;
  write({ done: true, ...result, seconds: Number(seconds.toFixed(2)), ordersPerSecond: Math.round(result.orders / Math.max(seconds, 0.001)) });
} finally {
  await ledger.close();
  await files.close();
  await objects.close();
}
