import { readdirSync, readFileSync } from "node:fs";
import { operationId } from "../gateway/src/security/persisted-operations.js";

/** The id a persisted operation is known by: sha256 of its exact text, as the gateway computes it. */
export { operationId };

export const OPERATIONS_DIR = "schema/operations";
export const PERSISTED_MANIFEST_PATH = "schema/operations/persisted-operations.json";

/** The operations our clients ship with, one per file, named after the operation. */
export function readGoldenOperations(dir = OPERATIONS_DIR): { name: string; query: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".graphql"))
    .sort()
    .map((file) => ({ name: file.replace(/\.graphql$/, ""), query: readFileSync(`${dir}/${file}`, "utf8") }));
}

/**
 * Operations as released clients sent them before a later change (file `<Operation>.<date>.graphql`,
 * the text exactly as shipped): installed apps send their ids until they update, so the manifest
 * keeps them, and they stay valid against the schema, but no client is generated from them.
 */
export const RELEASED_OPERATIONS_DIR = `${OPERATIONS_DIR}/released`;

export function readReleasedOperations(dir = RELEASED_OPERATIONS_DIR): { name: string; query: string }[] {
  return readGoldenOperations(dir).map(({ name, query }) => ({ name: name.replace(/\..*$/, ""), query }));
}

/** The allow-list manifest the gateway loads (PERSISTED_OPERATIONS_PATH): sha256 -> query. */
export function persistedManifest(operations = [...readGoldenOperations(), ...readReleasedOperations()]): string {
  const entries = operations.map(({ query }) => [operationId(query), query] as const);
  return JSON.stringify(Object.fromEntries(entries), null, 2) + "\n";
}
