import { join } from "node:path";
import { decodeJournalLine } from "./journal-line.js";
import { journalFileLines } from "./journal-file-lines.js";
import type { JournalOptions } from "./journal.js";

/** A journal or snapshot that cannot be read back: a damaged line that is not the last one. */
export class JournalCorruptError extends Error {
  override readonly name = "JournalCorruptError";
}

export interface SnapshotHeader {
  snapshot: 1;
  /** The first journal generation that follows this snapshot. */
  journal: number;
}

export const SNAPSHOT = "snapshot.jsonl";

/** Applies the snapshot in `dir`, if any; says which journal generation follows it. */
export async function readSnapshot<R>(options: JournalOptions<R>): Promise<{ firstGeneration: number; records: number }> {
  const path = join(options.dir, SNAPSHOT);
  let header: SnapshotHeader | undefined;
  let previous: { text: string; number: number } | undefined;
  let records = 0;
  try {
    for await (const line of journalFileLines(path)) {
      if (!line.complete) throw new JournalCorruptError(`${path} line ${line.number}: the snapshot is incomplete`);
      if (header === undefined) {
        header = parse<SnapshotHeader>(path, line);
        if (header.snapshot !== 1 || !Number.isInteger(header.journal)) throw new JournalCorruptError(`${path} line 1: not a snapshot header`);
        continue;
      }
      // Each line is applied once the next one shows it was not the trailer.
      if (previous) {
        applyLine(options, path, previous);
        records += 1;
      }
      previous = line;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { firstGeneration: 0, records: 0 };
    throw error;
  }
  const trailer = previous ? parse<{ end?: number }>(path, previous) : undefined;
  if (header === undefined || trailer?.end !== records) throw new JournalCorruptError(`${path}: the snapshot is incomplete (no trailer for ${records} records)`);
  return { firstGeneration: header.journal, records };
}

/** Applies one journal; only the newest may end in a line a crash cut short. */
export async function replayJournal<R>(
  options: JournalOptions<R>,
  path: string,
  isLast: boolean,
): Promise<{ records: number; validBytes: number; tornLine?: number }> {
  let records = 0;
  let validBytes = 0;
  let damaged: { number: number; error: unknown } | undefined;
  for await (const line of journalFileLines(path)) {
    if (damaged) throw new JournalCorruptError(`${path} line ${damaged.number}: ${String(damaged.error)}`);
    if (!line.complete) {
      damaged = { number: line.number, error: "unfinished line" };
      continue;
    }
    let record: R;
    try {
      record = decodeJournalLine<R>(line.text);
    } catch (error) {
      damaged = { number: line.number, error };
      continue;
    }
    applyRecord(options, path, line.number, record);
    records += 1;
    validBytes = line.end;
  }
  if (damaged && !isLast) throw new JournalCorruptError(`${path} line ${damaged.number}: ${String(damaged.error)} (not the newest journal)`);
  return { records, validBytes, tornLine: damaged?.number };
}

function applyLine<R>(options: JournalOptions<R>, path: string, line: { text: string; number: number }): void {
  applyRecord(options, path, line.number, parse<R>(path, line));
}

function applyRecord<R>(options: JournalOptions<R>, path: string, number: number, record: R): void {
  try {
    options.apply(record);
  } catch (error) {
    throw new JournalCorruptError(`${path} line ${number}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parse<T>(path: string, line: { text: string; number: number }): T {
  try {
    return decodeJournalLine<T>(line.text);
  } catch (error) {
    throw new JournalCorruptError(`${path} line ${line.number}: ${String(error)}`);
  }
}

