// The README's configuration table against what loadConfig actually reads, watched as it runs
// (a regular expression over config.ts misses a name passed to a helper, such as
// rsaPrivateKey(read, "JWT_PRIVATE_KEY"), or one read through a template).
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "#kernel";
import { variablesInReadmeTable } from "./support/configuration-table.js";

/** The names loadConfig looks up in `env`, whether it then starts or refuses the values. */
function namesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === "string") read.add(name);
      return target[name as string];
    },
    has(target, name) {
      if (typeof name === "string") read.add(name);
      return name in target;
    },
  });
  try {
    loadConfig(watched);
  } catch {
    // A refused start has read what it refused: that is what is counted.
  }
  return read;
}

/**
 * Starts that between them take every branch of the configuration: each environment, and the
 * settings read only once another names them (an object store, Kafka, a count of proxies).
 */
const STARTS: Record<string, string>[] = [
  {},
  { APP_ENV: "development" },
  { APP_ENV: "test" },
  { APP_ENV: "production", JWT_SECRET: "a-production-secret-of-enough-length", INTERNAL_SECRET: "another-production-secret", JWT_AUDIENCE: "storefront-production" },
  { APP_ENV: "production" },
  { S3_URL: "http://127.0.0.1:9000", S3_ACCESS_KEY_ID: "key", S3_SECRET_ACCESS_KEY: "secret", KAFKA_BROKERS: "127.0.0.1:9092", TRUST_PROXY: "2", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" },
];

const sorted = (names: Iterable<string>) => [...names].sort();

test("every variable the configuration reads is in the README's configuration table", () => {
  const table = variablesInReadmeTable();
  const read = new Set(STARTS.flatMap((env) => [...namesRead(env)]));
  assert.deepEqual(sorted([...read].filter((name) => !table.has(name))), [], "read but not in the table");
});

test("every variable of the README's configuration table is read by the configuration", () => {
  const read = new Set(STARTS.flatMap((env) => [...namesRead(env)]));
  assert.deepEqual(sorted([...variablesInReadmeTable()].filter((name) => !read.has(name))), [], "in the table but never read");
});
