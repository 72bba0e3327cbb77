import { mkdir, open, readdir, rename, rm, truncate, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { encodeJournalLine } from "./journal-line.js";
import { readSnapshot, replayJournal, SNAPSHOT, type SnapshotHeader } from "./journal-replay.js";
import { lockDirectory } from "./directory-lock.js";

export { JournalCorruptError } from "./journal-replay.js";

export interface JournalOptions<R> {
  dir: string;
  /**
   * Applies one record to the state: at open, the snapshot's records then the journals'. A
   * record must carry the whole state of what it names (a key's value, a maximum), never a
   * delta: compaction snapshots the live state while writes go on, so a record may be
   * applied again over a state that already holds it, and must then change nothing.
   */
  apply(record: R): void;
  /** The whole state as records, read while writes continue (see `apply`). */
  snapshot(): Iterable<R>;
  /** Journal records after which a snapshot is written (at least; never fewer than the last snapshot held). */
  compactAfter?: number;
  onWarning?(message: string, detail: Record<string, unknown>): void;
}

interface Pending {
  text: string;
  count: number;
  resolve(): void;
  reject(error: unknown): void;
}

const SNAPSHOT_TMP = `${SNAPSHOT}.tmp`;
const JOURNAL = /^journal-(\d{12})\.jsonl$/;
const journalName = (generation: number) => `journal-${String(generation).padStart(12, "0")}.jsonl`;
const SNAPSHOT_CHUNK = 1_000;

/**
 * Crash-safe persistence of an in-memory state as an append-only journal of JSON lines.
 *
 * - `append` resolves once its records are on disk (written and fdatasync'ed). Appends made
 *   while a write is in flight go out together in the next one (group commit): a bulk load
 *   costs a handful of syncs, not one per record.
 * - Compaction starts a new journal generation, then writes the state to a temporary
 *   snapshot file, syncs it, renames it over the old snapshot and syncs the directory; only
 *   then are the older journals deleted. A crash at any point leaves either the old snapshot
 *   and every journal since, or the new one and the journals after it.
 * - At open, a last line the process did not finish writing (a crash mid-write) is dropped
 *   and cut off; a damaged line anywhere else is a JournalCorruptError naming file and line.
 * - After a failed write or sync every later append fails too: what reached the disk is no
 *   longer known, and the state is read back from disk at the next start.
 * - One process at a time holds the directory (see lockDirectory).
 */
export class Journal<R> {
  private readonly queue: Pending[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private failure: unknown;
  private closed = false;
  private compaction?: Promise<void>;
  private nextCompactionAt: number;

  private constructor(
    private readonly options: JournalOptions<R>,
    private file: FileHandle,
    private generation: number,
    private recordsSinceSnapshot: number,
    snapshotRecords: number,
    private readonly unlock: () => Promise<void>,
  ) {
    this.nextCompactionAt = this.threshold(snapshotRecords);
  }

  /** Reads the snapshot and journals in `dir` into `apply`, then opens for appending. */
  static async open<R>(options: JournalOptions<R>): Promise<Journal<R>> {
    const { dir } = options;
    await mkdir(dir, { recursive: true });
    const unlock = await lockDirectory(dir);
    try {
      return await Journal.load(options, unlock);
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  private static async load<R>(options: JournalOptions<R>, unlock: () => Promise<void>): Promise<Journal<R>> {
    const { dir } = options;
    // A snapshot that was never renamed into place is an unfinished compaction.
    await rm(join(dir, SNAPSHOT_TMP), { force: true });
    const { firstGeneration, records: snapshotRecords } = await readSnapshot(options);

    const generations = (await readdir(dir))
      .map((name) => JOURNAL.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
    for (const stale of generations.filter((g) => g < firstGeneration)) await rm(join(dir, journalName(stale)), { force: true });
    const live = generations.filter((g) => g >= firstGeneration);

    let recordsSinceSnapshot = 0;
    for (const [i, generation] of live.entries()) {
      const isLast = i === live.length - 1;
      const { records, validBytes, tornLine } = await replayJournal(options, join(dir, journalName(generation)), isLast);
      recordsSinceSnapshot += records;
      if (tornLine !== undefined) {
        options.onWarning?.("journal ends with an unfinished write; dropped it", { file: journalName(generation), line: tornLine });
        // Cut it off, so the next append starts on a line of its own.
        await truncate(join(dir, journalName(generation)), validBytes);
      }
    }
    const generation = live.at(-1) ?? firstGeneration;
    const file = await open(join(dir, journalName(generation)), "a");
    if (live.length === 0) await syncDirectory(dir);
    return new Journal(options, file, generation, recordsSinceSnapshot, snapshotRecords, unlock);
  }

  /** Resolves once every record is durable; records of one call are never split by a crash into a later order. */
  append(records: readonly R[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error("The journal is closed"));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const text = records.map((record) => encodeJournalLine(record) + "\n").join("");
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, count: records.length, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Writes a snapshot now (also started by itself once enough records accumulated). */
  compact(): Promise<void> {
    this.compaction ??= this.writeSnapshot().finally(() => {
      this.compaction = undefined;
    });
    return this.compaction;
  }

  /** Waits for pending appends and a running compaction, then releases the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compaction?.catch(() => undefined);
    await this.serially(async () => {
      await this.file.close();
    }).catch(() => undefined);
    await this.unlock();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void this.serially(async () => {
      this.flushScheduled = false;
      await this.flush();
    }).catch(() => undefined);
  }

  /** File operations run one after the other: a flush never interleaves with a generation switch. */
  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    if (this.failure === undefined) {
      try {
        await this.file.appendFile(batch.map((pending) => pending.text).join(""));
        await this.file.datasync();
      } catch (error) {
        this.failure = error;
      }
    }
    if (this.failure !== undefined) {
      for (const pending of batch) pending.reject(this.failure);
      return;
    }
    for (const pending of batch) {
      this.recordsSinceSnapshot += pending.count;
      pending.resolve();
    }
    if (this.recordsSinceSnapshot >= this.nextCompactionAt && !this.closed) {
      void this.compact().catch((error: unknown) => this.options.onWarning?.("journal compaction failed; will retry", { dir: this.options.dir, error: String(error) }));
    }
  }

  private async writeSnapshot(): Promise<void> {
    const { dir } = this.options;
    // From here on new records go to the next generation; the snapshot, read afterwards,
    // holds at least everything written before the switch.
    let generation = 0;
    await this.serially(async () => {
      const next = await open(join(dir, journalName(this.generation + 1)), "a");
      await syncDirectory(dir);
      await this.file.close();
      this.file = next;
      this.generation += 1;
      this.recordsSinceSnapshot = 0;
      generation = this.generation;
    });

    const temporary = join(dir, SNAPSHOT_TMP);
    const out = await open(temporary, "w");
    let records = 0;
    try {
      const header: SnapshotHeader = { snapshot: 1, journal: generation };
      let lines = [encodeJournalLine(header)];
      for (const record of this.options.snapshot()) {
        lines.push(encodeJournalLine(record));
        records += 1;
        if (lines.length >= SNAPSHOT_CHUNK) {
          await out.writeFile(lines.join("\n") + "\n");
          lines = [];
        }
      }
      lines.push(encodeJournalLine({ end: records }));
      await out.writeFile(lines.join("\n") + "\n");
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temporary, join(dir, SNAPSHOT));
    await syncDirectory(dir);
    for (const name of await readdir(dir)) {
      const match = JOURNAL.exec(name);
      if (match && Number(match[1]) < generation) await rm(join(dir, name), { force: true });
    }
    this.nextCompactionAt = this.threshold(records);
  }

  /** Compacting once the journal is as long as the snapshot keeps its cost proportional to the writes. */
  private threshold(snapshotRecords: number): number {
    return Math.max(this.options.compactAfter ?? 50_000, snapshotRecords);
  }
}

/** Makes a created, renamed or deleted entry of the directory itself durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
