/**
 * One journal record as one line of JSON. Dates survive the round trip (catalog documents
 * and event payloads carry them, and the in-memory adapters hand them out as Dates), so a
 * record read back equals the one written.
 */
const DATE_TAG = "$date";

export function encodeJournalLine(record: unknown): string {
  return JSON.stringify(record, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { [DATE_TAG]: raw.toISOString() } : value;
  });
}

export function decodeJournalLine<T>(line: string): T {
  return JSON.parse(line, (_key, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const tagged = value as Record<string, unknown>;
      if (typeof tagged[DATE_TAG] === "string" && Object.keys(tagged).length === 1) return new Date(tagged[DATE_TAG]);
    }
    return value;
  }) as T;
}
