import { open } from "node:fs/promises";

export interface JournalFileLine {
  text: string;
  /** 1-based, for error messages. */
  number: number;
  /** Byte offset just after this line (and its newline, when it has one). */
  end: number;
  /** False for a last line without its newline: a write the process did not finish. */
  complete: boolean;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * The lines of a file, read a chunk at a time: a snapshot of a large catalog is bigger than
 * the longest string the runtime holds, so the file is never read whole.
 */
export async function* journalFileLines(path: string): AsyncGenerator<JournalFileLine> {
  const file = await open(path, "r");
  try {
    let carry: Buffer = Buffer.alloc(0);
    let offset = 0;
    let number = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let at = data.indexOf(NEWLINE, start); at !== -1; at = data.indexOf(NEWLINE, start)) {
        offset += at + 1 - start;
        yield { text: data.toString("utf8", start, at), number: ++number, end: offset, complete: true };
        start = at + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length) yield { text: carry.toString("utf8"), number: ++number, end: offset + carry.length, complete: false };
  } finally {
    await file.close();
  }
}
