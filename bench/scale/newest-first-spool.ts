import { open, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Batches written in the generator's order (oldest product first) and read back newest first,
 * through a file rather than memory (2,000,000 search documents are about 2 GB of JSON).
 *
 * Why: the platform's own rebuild writes the catalog newest first (SearchEngineIndex.rebuild
 * reads `catalogPage`, newest first), and a relevance page costs least on an index stored so:
 * block-max WAND finds the page's best matches in the first blocks and skips the rest. An index
 * written oldest first makes every page score each equally good match on the way to the newest
 * (at 2,000,000 products: 12,023 matches scored a search against 400 or so), so a benchmark
 * that loads it so measures an index the platform never builds.
 */
export class NewestFirstSpool<T> {
  private readonly batches: { position: number; length: number }[] = [];
  private written = 0;

  private constructor(
    private readonly directory: string,
    private readonly file: Awaited<ReturnType<typeof open>>,
  ) {}

  static async create<T>(): Promise<NewestFirstSpool<T>> {
    const directory = await mkdtemp(join(tmpdir(), "newest-first-"));
    return new NewestFirstSpool<T>(directory, await open(join(directory, "spool.ndjson"), "w+"));
  }

  /** Keeps one batch, in the order given (oldest first). */
  async append(batch: readonly T[]): Promise<void> {
    if (batch.length === 0) return;
    const bytes = Buffer.from(batch.map((item) => JSON.stringify(item)).join("\n"));
    await this.file.write(bytes, 0, bytes.length, this.written);
    this.batches.push({ position: this.written, length: bytes.length });
    this.written += bytes.length;
  }

  /** Every item kept, the last appended first, in batches of the sizes appended. */
  async *newestFirst(): AsyncGenerator<T[]> {
    for (let n = this.batches.length - 1; n >= 0; n--) {
      const { position, length } = this.batches[n]!;
      const bytes = Buffer.alloc(length);
      await this.file.read(bytes, 0, length, position);
      yield bytes
        .toString("utf8")
        .split("\n")
        .map((line) => JSON.parse(line) as T)
        .reverse();
    }
  }

  async close(): Promise<void> {
    await this.file.close();
    await rm(this.directory, { recursive: true, force: true });
  }
}
