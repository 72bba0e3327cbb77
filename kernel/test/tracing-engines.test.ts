// The document and account engines are spans of the request that called them: MongoDB through
// the driver's instrumentation, MariaDB through Prisma's (the accounts store), both imported as
// ES modules, which the tracing start patches after the fact.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { MongoClient } from "mongodb";
import { describeWithRealEngine } from "#kernel/testing";
import { PrismaUserStore } from "../../subgraphs/accounts/src/adapters/prisma-user-store.js";
import { createMysqlTestDatabase } from "../../subgraphs/accounts/test/support/mysql-test-database.js";
import { traceThisProcess } from "./support/traced-process.js";

const traced = await traceThisProcess();

const dbSystem = (attributes: Record<string, unknown>) => attributes["db.system"] ?? attributes["db.system.name"];

describeWithRealEngine({ suite: "tracing MongoDB calls", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  it("a find inside a request is a MongoDB span of the request's trace; one outside any request is no span", async () => {
    const client = new MongoClient(url);
    try {
      await client.connect();
      const collection = client.db().collection(`trace_${randomUUID().slice(0, 8)}`);
      await collection.findOne({ outside: true });
      const request = await traced.inSpan("request", async (span) => {
        await collection.findOne({ inside: true });
        return span;
      });
      await collection.drop().catch(() => undefined);
      const mongo = (await traced.finished()).filter((span) => dbSystem(span.attributes) === "mongodb" && span.name.startsWith("find"));
      assert.equal(mongo.length, 1, mongo.map((span) => span.name).join(", "));
      assert.equal(mongo[0]!.spanContext().traceId, request.traceId);
      assert.equal(mongo[0]!.parentSpanContext?.spanId, request.spanId);
    } finally {
      await client.close();
    }
  });
});

describeWithRealEngine({ suite: "tracing MariaDB calls", engine: "mariadb", variable: "MYSQL_URL" }, (url) => {
  it("an accounts lookup inside a request is a span of the request's trace, its statement a MySQL span below it", async () => {
    // A database of its own, migrated: the shared one is migrated only by whoever ran first.
    const database = await createMysqlTestDatabase(url);
    const store = await PrismaUserStore.connect(database.url, { poolSize: 2 });
    try {
      const request = await traced.inSpan("request", async (span) => {
        await store.findUsersByIds([`missing-${randomUUID()}`]);
        return span;
      });
      const spans = (await traced.finished()).filter((span) => span.spanContext().traceId === request.traceId);
      const statements = spans.filter((span) => dbSystem(span.attributes) === "mysql" || dbSystem(span.attributes) === "mariadb");
      assert.ok(statements.length > 0, `no MySQL span in ${spans.map((span) => `${span.name} ${JSON.stringify(span.attributes)}`).join("; ")}`);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
