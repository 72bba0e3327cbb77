/**
 * One journal record as one line of JSON: `[record]`, or `[record, paths]` when the record
 * holds Dates (catalog documents and event payloads do, and the in-memory adapters hand them
 * out as Dates), `paths` naming where each one is. A record read back equals the one written,
 * and reading it back costs no walk over the whole record, only a step down each path.
 */
type Path = (string | number)[];

export function encodeJournalLine(record: unknown): string {
  const dates: Path[] = [];
  findDates(record, [], dates);
  return JSON.stringify(dates.length ? [record, dates] : [record]);
}

export function decodeJournalLine<T>(line: string): T {
  const parsed: unknown = JSON.parse(line);
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > 2) throw new Error("not a journal line");
  const [record, dates] = parsed as [unknown, Path[] | undefined];
  if (dates === undefined) return record as T;
  let root = record;
  for (const path of dates) {
    if (path.length === 0) {
      root = reviveDate(root);
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]!] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    parent[last] = reviveDate(parent[last]);
  }
  return root as T;
}

/** An invalid Date was written as null by JSON, and stays null. */
function reviveDate(value: unknown): unknown {
  return typeof value === "string" ? new Date(value) : value;
}

function findDates(value: unknown, path: Path, found: Path[]): void {
  if (value === null || typeof value !== "object") return;
  if (value instanceof Date) {
    found.push([...path]);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      findDates(value[i], path, found);
      path.pop();
    }
    return;
  }
  for (const key in value) {
    path.push(key);
    findDates((value as Record<string, unknown>)[key], path, found);
    path.pop();
  }
}
