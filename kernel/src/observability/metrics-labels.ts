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

/**
 * The label an operation is counted under: its name when well formed and either known or
 * among the first `MAX_OPERATION_NAMES` seen by this server, "anonymous" without a name,
 * "other" otherwise.
 */
export function operationLabel(server: string, name: string | null | undefined): string {
  if (!name) return "anonymous";
  if (!OPERATION_NAME.test(name)) return "other";
  if (knownNames.has(name)) return name;
  let names = admittedNames.get(server);
  if (!names) admittedNames.set(server, (names = new Set()));
  if (names.has(name)) return name;
  if (names.size >= MAX_OPERATION_NAMES) return "other";
  names.add(name);
  return name;
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
