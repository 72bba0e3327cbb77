import { createHash } from "node:crypto";

/** A response the simulator sent for an executed request, kept to be replayed. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotencyLookup =
  | { kind: "new" }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "in-progress" }
  | { kind: "mismatch" };

interface Entry {
  fingerprint: string;
  response?: StoredResponse;
}

/**
 * Idempotency keys the way Stripe-like providers keep them: the first request with a key
 * executes and its response is stored; the same key with the same request gets the stored
 * response back without executing again; the same key with a different request is refused
 * (409), and so is a second request while the first is still executing.
 * Only executed requests are stored: a request refused before execution (a validation error,
 * a 5xx load-shed) leaves the key free, so a retry with it can still execute.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  /** Looks the key up and, when it is new, reserves it for this request's execution. */
  begin(key: string, fingerprint: string): IdempotencyLookup {
    const entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, { fingerprint });
      return { kind: "new" };
    }
    if (entry.fingerprint !== fingerprint) return { kind: "mismatch" };
    if (!entry.response) return { kind: "in-progress" };
    return { kind: "replay", response: entry.response };
  }

  complete(key: string, response: StoredResponse): void {
    const entry = this.entries.get(key);
    if (entry) entry.response = response;
  }

  /** Frees a key whose request did not execute after all. */
  abandon(key: string): void {
    if (!this.entries.get(key)?.response) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** What makes two requests "the same": method, path and body, whatever the key order. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256").update(`${method} ${path} ${canonicalJson(body)}`).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
