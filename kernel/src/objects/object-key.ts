/**
 * Object keys are plain relative names: lowercase-insensitive letters, digits, `.`, `_`, `-`
 * and `/` between non-empty segments, at most 512 characters, no `.` or `..` segment. A key
 * that passes can be a file name or an S3 key without escaping and never leaves its store
 * (no traversal, no absolute path, no control or encoded characters).
 */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/;

export function isObjectKey(key: unknown): key is string {
  return typeof key === "string" && key.length <= 512 && KEY.test(key) && !key.split("/").some((segment) => segment === "." || segment === "..");
}

export class InvalidObjectKeyError extends Error {
  constructor(key: unknown) {
    super(`Not an object key: ${JSON.stringify(String(key).slice(0, 80))}`);
  }
}

export function assertObjectKey(key: unknown): asserts key is string {
  if (!isObjectKey(key)) throw new InvalidObjectKeyError(key);
}

/** A prefix to list by: empty, or a key with an optional trailing slash. */
export function assertObjectPrefix(prefix: string): void {
  if (prefix !== "" && !isObjectKey(prefix.replace(/\/$/, ""))) throw new InvalidObjectKeyError(prefix);
}
