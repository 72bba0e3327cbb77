import { readFileSync } from "node:fs";

/**
 * Label values from outside the process (operation names, error codes) are bounded before
 * they become series: Prometheus keeps every label combination it ever saw, so a client
 * inventing names must not be able to grow the time-series database.
 */

/** Distinct operation names one server records; later new names are counted as "other". */
export const MAX_OPERATION_NAMES = 150;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,79}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,47}$/;
const MAX_ERROR_CODES = 60;

/** Names already admitted, per server (gateway, products, ...). */
const admittedNames = new Map<string, Set<string>>();
/** Names that are always recorded (the persisted operations clients were built with). */
const knownNames = new Set<string>();

/** Names from the persisted-operation manifest: recorded whatever arbitrary names came first. */
export function registerKnownOperationNames(names: Iterable<string>): void {
  for (const name of names) if (OPERATION_NAME.test(name)) knownNames.add(name);
}

/** The operation names written in operation texts (`query Cart`, `mutation Checkout(...)`). */
export function operationNamesIn(texts: Iterable<string>): string[] {
  return [...texts].flatMap((text) => [...text.matchAll(/\b(?:query|mutation|subscription)\s+([A-Za-z_]\w*)/g)].map((match) => match[1]!));
}

/**
 * Registers the names of the persisted-operation manifest at `path` (`{ sha256: query }`) in this
 * process. Every process of the platform reads PERSISTED_OPERATIONS_PATH, not only the gateway:
 * a subgraph hears the names inside the gateway's fetch names, and without the manifest the
 * first 150 names a client invented there took every place. Returns false, registering
 * nothing, for a manifest it cannot read (the gateway refuses to start on one; a subgraph's
 * metrics are no reason to).
 */
export function registerPersistedOperationNames(path: string): boolean {
  let texts: unknown[];
  try {
    texts = Object.values(JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>);
  } catch {
    return false;
  }
  registerKnownOperationNames(operationNamesIn(texts.filter((text): text is string => typeof text === "string")));
  return true;
}

/**
 * The label an operation is counted under: its name when it is known (or the gateway's fetch
 * of a known one), or well formed and among the first `MAX_OPERATION_NAMES` seen by this
 * server; "anonymous" without a name, "other" otherwise.
 */
export function operationLabel(server: string, name: string | null | undefined): string {
  if (!name) return "anonymous";
  // Before the length bound: a known name's fetch is longer than the name.
  if (knownNames.has(name) || isFetchOfKnownOperation(name)) return name;
  if (!OPERATION_NAME.test(name)) return "other";
  let names = admittedNames.get(server);
  if (!names) admittedNames.set(server, (names = new Set()));
  if (names.has(name)) return name;
  if (names.size >= MAX_OPERATION_NAMES) return "other";
  names.add(name);
  return name;
}

/** How the gateway's query planner names a plan's fetch from one subgraph: `<operation>__<subgraph>__<n>`. */
const PLAN_FETCH = /^([A-Za-z_][A-Za-z0-9_]{0,79})__[a-z][a-z0-9-]{0,39}__\d{1,4}$/;

/**
 * Whether `name` is the gateway's fetch of a known operation. A subgraph hears the client's
 * operation name only inside such names, so without this every name there was a client's: 150
 * invented ones took every place, and the persisted operations' fetches counted as other.
 */
function isFetchOfKnownOperation(name: string): boolean {
  const operation = PLAN_FETCH.exec(name)?.[1];
  return operation !== undefined && knownNames.has(operation);
}

const admittedCodes = new Set<string>();

/** An error's `extensions.code` as a label: codes are ours, but bounded all the same. */
export function errorCodeLabel(code: unknown): string {
  if (typeof code !== "string" || !ERROR_CODE.test(code)) return "INTERNAL_SERVER_ERROR";
  if (admittedCodes.has(code)) return code;
  if (admittedCodes.size >= MAX_ERROR_CODES) return "OTHER";
  admittedCodes.add(code);
  return code;
}
