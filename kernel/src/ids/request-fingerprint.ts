import { createHash } from "node:crypto";

/**
 * The fingerprint an idempotency key keeps of the request it first named: a hash of every
 * input that changes the outcome, so a retry (the same request) is told from a reuse of the
 * key (another one). Object keys are sorted, so the order fields were sent in never matters;
 * `kind` keeps fingerprints of different mutations apart.
 */
export function requestFingerprint(kind: string, request: unknown): string {
  return createHash("sha256").update(`${kind}\n${canonicalJson(request)}`).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
