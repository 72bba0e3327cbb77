import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "#kernel";
import { describeEngines } from "../platform/engine-summary.js";

const ROLES = ["relational", "documents", "search", "events", "cache", "accounts"];

test("the start banner names all six engines, embedded ones as embedded", () => {
  const config = loadConfig({});
  const lines = describeEngines(config, { relational: "embedded-postgres", documents: "embedded", search: "embedded", events: "embedded", cache: "embedded", accounts: "embedded" }, "postgresql://postgres:pw@127.0.0.1:54329/postgres");
  assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), ROLES);
  assert.match(lines[0]!, /^relational +embedded PostgreSQL at 127\.0\.0\.1:54329\/postgres \(data in \.data\/postgres\)$/);
  for (const line of lines.slice(1, 5)) assert.match(line, / embedded \(in-/);
  assert.match(lines[5]!, /embedded \(file \.data\/accounts\/users\.json\)/);
});

test("the banner says where the embedded catalog and events are kept across restarts, and says nothing of it where they are not", () => {
  const engines = { relational: "embedded-postgres", documents: "embedded", search: "embedded", events: "embedded", cache: "embedded", accounts: "embedded" };
  const development = describeEngines(loadConfig({}), engines);
  assert.match(development[1]!, /^documents +embedded \(in-memory product store, journaled to \.data\/documents\)$/);
  assert.match(development[3]!, /^events +embedded \(in-process event log, journaled to \.data\/events\)$/);
  const test = describeEngines(loadConfig({ APP_ENV: "test" }), engines);
  assert.match(test[1]!, /^documents +embedded \(in-memory product store\)$/);
  assert.match(test[3]!, /^events +embedded \(in-process event log\)$/);
});

test("real engines are named with their address and never their credentials", () => {
  const config = loadConfig({
    DATABASE_URL: "postgresql://app:db-secret@db.internal:5432/storefront",
    MONGO_URL: "mongodb://cat:mongo-secret@docs.internal:27017/storefront?authSource=admin",
    OPENSEARCH_URL: "https://search:os-secret@search.internal:9200",
    SEARCH_INDEX: "products_v2",
    KAFKA_BROKERS: "k1:9092,k2:9092",
    KAFKA_TOPIC_PREFIX: "staging.",
    REDIS_URL: "redis://:redis-secret@cache.internal:6379/2",
    MYSQL_URL: "mysql://storefront:my-secret@users.internal:3306/accounts",
  });
  const lines = describeEngines(config, { relational: "postgresql", documents: "mongodb", search: "opensearch", events: "kafka", cache: "redis", accounts: "mysql" }, config.relational.databaseUrl);
  assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), ROLES);
  assert.deepEqual(
    lines.map((line) => line.replace(/^\w+ +/, "")),
    [
      "PostgreSQL at db.internal:5432/storefront",
      "MongoDB wire protocol at docs.internal:27017/storefront",
      "OpenSearch at search.internal:9200 (index products_v2)",
      'Kafka at k1:9092,k2:9092 (topic prefix "staging.")',
      "Redis at cache.internal:6379/2",
      "MySQL/MariaDB at users.internal:3306/accounts",
    ],
  );
  assert.ok(!lines.join("\n").includes("secret"));
});
