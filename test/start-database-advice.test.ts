// A start that fails on a configured database: one line naming the variable and what to do,
// not Prisma's code frame of the call that met the problem.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { createPrismaClient } from "#kernel/relational";
import { startFailureMessage } from "../platform/ports-in-use.js";

/** A port nothing listens on: one the system handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What Prisma's driver adapter throws for a query on a database whose migrations were never applied (as seen against PostgreSQL 18). */
function missingTableError(): Error {
  const error = new Error(
    "\nInvalid `prisma.shippingMethod.findFirst()` invocation in\n/repo/subgraphs/cart/src/pricing/demo-shipping-methods.ts:32:36\n\n  31 export async function seedDemoShippingMethods(prisma: PrismaClient): Promise<number> {\n→ 32   if ((await prisma.shippingMethod.findFirst(\nThe table `public.ShippingMethod` does not exist in the current database.",
  );
  return Object.assign(error, {
    code: "P2021",
    meta: { modelName: "ShippingMethod", driverAdapterError: { name: "DriverAdapterError", cause: { originalCode: "42P01", kind: "TableDoesNotExist", table: "public.ShippingMethod" } } },
  });
}

test("npm start on a database without its migrations says so in one line, with the command that applies them", () => {
  const message = startFailureMessage(missingTableError(), { DATABASE_URL: "postgresql://app:s3cret@db.internal:5432/storefront" });
  assert.equal(message.split("\n").length, 1, message);
  assert.match(message, /^npm start could not start: the database of DATABASE_URL \(db\.internal:5432\/storefront\) lacks the table public\.ShippingMethod/);
  assert.match(message, /Run `npm run db:migrate:deploy` with the same DATABASE_URL/);
  assert.doesNotMatch(message, /s3cret|Invalid `prisma|demo-shipping-methods/);
});

test("with MySQL configured too, a missing table names both migration commands", () => {
  const message = startFailureMessage(missingTableError(), { DATABASE_URL: "postgresql://a:b@pg:5432/s", MYSQL_URL: "mysql://a:b@my:3306/accounts" });
  assert.match(message, /DATABASE_URL or MYSQL_URL/);
  assert.match(message, /`npm run db:migrate:deploy` for DATABASE_URL, or `npx tsx prisma\/accounts\/migrator\/cli\.ts deploy` for MYSQL_URL/);
});

test("a DATABASE_URL where nothing listens is named with its host and port, as Prisma reports it", async () => {
  const port = await closedPort();
  const url = `postgresql://app:s3cret@127.0.0.1:${port}/storefront`;
  const prisma = createPrismaClient(url);
  const error = await prisma.shippingMethod.findFirst().then(() => assert.fail("no server should answer"), (thrown: unknown) => thrown);
  await prisma.$disconnect();
  const message = startFailureMessage(error, { DATABASE_URL: url, MYSQL_URL: "mysql://a:b@127.0.0.1:3306/accounts" });
  assert.equal(message, `npm start could not start: nothing answers at 127.0.0.1:${port}, the database of DATABASE_URL: start it (\`scripts/services.sh status\` lists the engines of "Running the real stack") or correct DATABASE_URL; unset, the start runs on an embedded PostgreSQL.`);
});

test("other failures, and database failures with no database URL set (the embedded one), keep their own message", () => {
  assert.equal(startFailureMessage(new Error("boom"), { DATABASE_URL: "postgresql://a:b@pg:5432/s" }), "npm start could not start: boom");
  assert.match(startFailureMessage(missingTableError(), {}), /^npm start could not start: \nInvalid `prisma/);
});
