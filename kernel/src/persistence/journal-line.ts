/**
 * One journal record as one line of JSON. Dates survive the round trip (catalog documents
 * and event payloads carry them, and the in-memory adapters hand them out as Dates), so a
 * record read back equals the one written.
 */
const DATE_TAG = "$date";

export function encodeJournalLine(record: unknown): string {
  return JSON.stringify(tagDates(record));
}

/** A copy with every Date tagged (cheaper than a replacer, which is called for every value). */
function tagDates(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : { [DATE_TAG]: value.toISOString() };
  if (Array.isArray(value)) return value.map(tagDates);
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = tagDates((value as Record<string, unknown>)[key]);
  return copy;
}

export function decodeJournalLine<T>(line: string): T {
  const value: unknown = JSON.parse(line);
  // A walk after parsing, and only over lines that hold a date: a reviver would be called for
  // every value of every line, several times slower at start.
  return (line.includes(`"${DATE_TAG}"`) ? reviveDates(value) : value) as T;
}

function reviveDates(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveDates(value[i]);
    return value;
  }
  const object = value as Record<string, unknown>;
  const tagged = object[DATE_TAG];
  if (typeof tagged === "string" && Object.keys(object).length === 1) return new Date(tagged);
  for (const key in object) object[key] = reviveDates(object[key]);
  return object;
}
