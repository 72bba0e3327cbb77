// The README's configuration table, the configuration code and docker-compose.yml describe
// the same variables; these tests keep them from drifting apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { SUBGRAPH_NAMES } from "#kernel";
import { variablesInReadmeTable } from "./support/configuration-table.js";

function variablesReadByConfig(): Set<string> {
  const source = readFileSync("kernel/src/config/config.ts", "utf8");
  const names = new Set<string>();
  for (const match of source.matchAll(/read\.\w+\(\s*"([A-Z0-9_]+)"/g)) names.add(match[1]!);
  // Per-subgraph variables are read through a template: expand it.
  for (const name of SUBGRAPH_NAMES) {
    names.add(`${name.toUpperCase()}_PORT`);
    names.add(`${name.toUpperCase()}_URL`);
  }
  return names;
}

const sorted = (set: Set<string>) => [...set].sort();

test("the README's configuration table lists exactly the variables the configuration reads", () => {
  assert.deepEqual(sorted(variablesInReadmeTable()), sorted(variablesReadByConfig()));
});

test("docker-compose.yml names every engine and process, and sets every configuration variable", () => {
  const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown> }> };
  const services = Object.keys(compose.services);
  for (const engine of ["postgres", "mongo", "redis", "elasticsearch", "kafka", "mariadb"]) assert.ok(services.includes(engine), `service ${engine}`);
  for (const part of [...SUBGRAPH_NAMES, "gateway", "payment-simulator", "notifications"]) assert.ok(services.includes(part), `service ${part}`);
  const environment = compose.services.gateway?.environment ?? {};
  const missing = sorted(variablesInReadmeTable()).filter((name) => !(name in environment));
  assert.deepEqual(missing, [], "variables in the README table but not in docker-compose.yml");
});

test("docker-compose.yml gives FerretDB's PostgreSQL database the GIN twins before FerretDB starts", () => {
  type Service = { volumes?: string[]; depends_on?: Record<string, unknown>; environment?: Record<string, string> };
  const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as { services: Record<string, Service> };
  const postgres = compose.services.postgres!;
  const init = postgres.volumes?.find((volume) => volume.includes("/docker-entrypoint-initdb.d/"));
  assert.ok(init, "an init script mounted into the postgres service");
  const script = readFileSync(init.split(":")[0]!, "utf8");
  const twins = postgres.volumes?.find((volume) => volume.startsWith("./scripts/services/ferretdb/gin-twins.sql:"));
  assert.ok(twins, "gin-twins.sql mounted into the postgres service");
  assert.match(script, new RegExp(`-d ferretdb -f ${twins.split(":")[1]}`), "the init script installs the twins into the ferretdb database");
  const ferretdb = compose.services.ferretdb!;
  assert.ok(ferretdb.depends_on && "postgres" in ferretdb.depends_on, "FerretDB starts after PostgreSQL (and so after its init scripts)");
  assert.match(ferretdb.environment?.FERRETDB_POSTGRESQL_URL ?? "", /postgres:5432\/ferretdb\?.*statement_timeout=/);
});

test("the README's sign-up example makes the account the typed client README's call logs in as", () => {
  // A newcomer signs up as the README shows, then copies the client's call: with two passwords
  // for one email, the sign-up the client README asks for was CONFLICT and the call's logIn
  // UNAUTHENTICATED.
  const signUp = /signUp\(input: \{ name: "(\w+)", email: "([^"]+)",\s+password: "([^"]+)" \}\)/.exec(readFileSync("README.md", "utf8"));
  assert.ok(signUp, "the README shows a signUp");
  const clientReadme = readFileSync("clients/typescript/README.md", "utf8");
  const logIn = /LogInDocument, \{ email: "([^"]+)", password: "([^"]+)" \}/.exec(clientReadme);
  assert.ok(logIn, "the client README's call logs in");
  assert.deepEqual({ email: signUp[2], password: signUp[3] }, { email: logIn[1], password: logIn[2] });
});
