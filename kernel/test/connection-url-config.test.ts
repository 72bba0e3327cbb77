import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadConfig } from "#kernel";

/** The problems a start would print for `env`, one per line; [] when it starts. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ APP_ENV: "test", ...env });
    return [];
  } catch (error) {
    return String((error as Error).message)
      .split("\n")
      .filter((line) => line.startsWith("- "));
  }
}

describe("engine and service URLs are checked at start, naming the variable", () => {
  const misspelt: [string, string][] = [
    ["DATABASE_URL", "mysql://storefront:s3cret-pw@db/storefront"],
    ["MONGO_URL", "http://s3cret-pw@127.0.0.1:27017"],
    ["REDIS_URL", "127.0.0.1:6379"],
    ["MYSQL_URL", "mariadb://u:s3cret-pw@127.0.0.1/accounts"],
    ["OPENSEARCH_URL", "localhost:9200"],
    ["ELASTICSEARCH_URL", "elasticsearch"],
    ["S3_URL", "s3://bucket"],
    ["SMTP_URL", "mailpit:1025"],
    ["JWKS_URL", "accounts/.well-known/jwks.json"],
    ["PAYMENT_PROVIDER_URL", "psp.example"],
    ["IMAGE_CDN_URL", "//cdn.example"],
    ["PRODUCTS_URL", "http://products-1:4001/graphql,products-2:4001"],
    ["REDIS_URL", "redis://"],
  ];
  for (const [name, value] of misspelt) {
    test(`${name}=${value} is one problem naming ${name}, never repeating the value`, () => {
      const found = problems({ [name]: value, ...(name === "S3_URL" ? { S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" } : {}) });
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.match(found[0]!, new RegExp(`^- ${name} must be a URL such as `));
      assert.doesNotMatch(found[0]!, /s3cret-pw/);
    });
  }

  test("a URL written without its scheme names no part of itself: what precedes its colon is a user name", () => {
    for (const [name, value] of [
      ["DATABASE_URL", "admin:s3cret-pw@db:5432/storefront"],
      ["REDIS_URL", "default:s3cret-pw@cache:6379"],
      ["MONGO_URL", "storefront-admin:s3cret-pw@h1:27017,h2:27017"],
    ] as const) {
      const [found] = problems({ [name]: value });
      assert.match(found!, /\(it starts with no scheme of these\)$/, found);
      for (const part of ["admin", "default", "s3cret", "cache", "h1", "db:"]) assert.doesNotMatch(found!.slice(found!.indexOf("(")), new RegExp(part), found);
    }
    // A scheme some engine uses is named: it is the likely mistake, and no secret.
    assert.match(problems({ DATABASE_URL: "mysql://u:s3cret-pw@db/storefront" })[0]!, /\(its scheme is "mysql:"\)$/);
  });

  test("KAFKA_BROKERS is not repeated when it is wrong: an entry written as a URL may carry a password", () => {
    const [found] = problems({ KAFKA_BROKERS: "kafka-1:9092,SASL_SSL://svc-user:s3cret-pw@kafka-2:9093" });
    assert.match(found!, /^- KAFKA_BROKERS must be host:port entries .*\(entry 2 of 2 is not\)$/);
    assert.doesNotMatch(found!, /s3cret-pw|svc-user/);
  });

  test("the forms the engines take are accepted: several MongoDB hosts, replicas' lists, a Redis database, TLS", () => {
    assert.deepEqual(
      problems({
        DATABASE_URL: "postgres://u:p@127.0.0.1:5432/storefront?schema=public",
        MONGO_URL: "mongodb://h1:27017,h2:27017/storefront?replicaSet=rs0",
        REDIS_URL: "rediss://:p@127.0.0.1:6380/8",
        MYSQL_URL: "mysql://u:p@127.0.0.1:3306/accounts",
        ELASTICSEARCH_URL: "https://es:9200",
        SMTP_URL: "smtps://mail:465",
        PRODUCTS_URL: "http://products-1:4001/graphql, http://products-2:4001/graphql",
        KAFKA_BROKERS: "kafka-1:9092, [::1]:9093",
      }),
      [],
    );
  });

  test("KAFKA_BROKERS that is not host:port entries is a problem naming it", () => {
    for (const value of [",", "kafka", "kafka:9092,", "PLAINTEXT://kafka:9092"]) {
      const found = problems({ KAFKA_BROKERS: value });
      assert.equal(found.length, 1, `${value}: ${JSON.stringify(found)}`);
      assert.match(found[0]!, /^- KAFKA_BROKERS must be host:port entries/);
    }
  });

  test("a HOST that is not an address is its own problem, not one of the URLs built from it", () => {
    assert.deepEqual(problems({ HOST: "999.1.1.1" }), ['- HOST must be an IP address or a host name such as 127.0.0.1 or 0.0.0.0 (got "999.1.1.1")']);
    assert.deepEqual(problems({ HOST: "http://0.0.0.0" }).length, 1);
    // Reachable from other machines only with secrets of its own (development-exposure-config.test.ts).
    const own = { JWT_SECRET: "own-jwt-secret-0123456789-0123456789", INTERNAL_SECRET: "own-internal-secret-0123456789-0123456789" };
    assert.deepEqual(problems({ ...own, HOST: "0.0.0.0" }), []);
    assert.deepEqual(problems({ ...own, HOST: "::" }), [], "an IPv6 address goes in brackets in the URLs built from it");
    assert.equal(loadConfig({ APP_ENV: "test", HOST: "::1", CART_PORT: "4104" }).gateway.subgraphUrls.cart, "http://[::1]:4104/graphql");
  });
});
