import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Journal, JournalCorruptError, type JournalOptions } from "#kernel";

type Entry = { key: string; value: { n: number; at: Date } | null };

/** A key-value state kept by a journal, as the catalog and the event log keep theirs. */
async function openState(dir: string, options: Partial<JournalOptions<Entry>> = {}) {
  const state = new Map<string, { n: number; at: Date }>();
  const warnings: string[] = [];
  const journal = await Journal.open<Entry>({
    dir,
    apply: ({ key, value }) => (value === null ? state.delete(key) : state.set(key, value)),
    snapshot: function* () {
      for (const [key, value] of state) yield { key, value };
    },
    onWarning: (message) => warnings.push(message),
    ...options,
  });
  const put = (key: string, n: number | null) => {
    const value = n === null ? null : { n, at: new Date(1_700_000_000_000 + n) };
    if (value === null) state.delete(key);
    else state.set(key, value);
    return journal.append([{ key, value }]);
  };
  return { state, journal, put, warnings };
}

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-test-"));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const journalFiles = (dir: string) => readdirSync(dir).filter((name) => name.startsWith("journal-")).sort();

describe("Journal", () => {
  it("reads back every acknowledged record, Dates included, when reopened without a clean close", async () => {
    const dir = freshDir();
    const first = await openState(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.put(`k${i % 20}`, i)));
    await first.put("k3", null);
    // No close: the process died here.
    const second = await openState(dir);
    assert.deepEqual(second.state, first.state);
    assert.ok(second.state.get("k19")!.at instanceof Date);
    await first.journal.close();
    await second.journal.close();
  });

  it("drops a last line the process did not finish writing, and appends cleanly after it", async () => {
    const dir = freshDir();
    const first = await openState(dir);
    await first.put("a", 1);
    await first.put("b", 2);
    await first.journal.close();
    appendFileSync(join(dir, journalFiles(dir).at(-1)!), '[{"key":"c","value":{"n":3,"at":"2026-0');
    const second = await openState(dir);
    assert.deepEqual([...second.state.keys()], ["a", "b"]);
    assert.equal(second.warnings.length, 1);
    await second.put("d", 4);
    await second.journal.close();
    const third = await openState(dir);
    assert.deepEqual([...third.state.keys()], ["a", "b", "d"]);
    assert.deepEqual(third.warnings, []);
    await third.journal.close();
  });

  it("drops a last line of zeros (a crash after the size grew but before the data landed)", async () => {
    const dir = freshDir();
    const first = await openState(dir);
    await first.put("a", 1);
    await first.journal.close();
    appendFileSync(join(dir, journalFiles(dir).at(-1)!), Buffer.alloc(64));
    const second = await openState(dir);
    assert.deepEqual([...second.state.keys()], ["a"]);
    await second.journal.close();
  });

  it("refuses to open on a damaged line that is not the last, naming file and line", async () => {
    const dir = freshDir();
    const first = await openState(dir);
    await first.put("a", 1);
    await first.put("b", 2);
    await first.put("c", 3);
    await first.journal.close();
    const file = join(dir, journalFiles(dir).at(-1)!);
    const lines = readFileSync(file, "utf8").split("\n");
    lines[1] = lines[1]!.slice(0, 10);
    writeFileSync(file, lines.join("\n"));
    await assert.rejects(openState(dir), (error: unknown) => error instanceof JournalCorruptError && /journal-\d+\.jsonl line 2/.test(error.message));
  });

  it("commits concurrent appends together: a thousand records, a handful of syncs", async () => {
    const dir = freshDir();
    const { journal, put } = await openState(dir);
    const probe = await open(join(dir, "probe"), "w");
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = prototype.datasync;
    let syncs = 0;
    prototype.datasync = function (this: unknown) {
      syncs += 1;
      return original.call(this);
    };
    try {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => put(`k${i}`, i)));
    } finally {
      prototype.datasync = original;
    }
    assert.ok(syncs >= 1 && syncs <= 5, `${syncs} syncs for 1000 appends`);
    await journal.close();
  });

  it("compacts into a snapshot while writes go on, and loses none of them", async () => {
    const dir = freshDir();
    const first = await openState(dir, { compactAfter: 200 });
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 400; i++) await first.put(`k${(w * 400 + i) % 300}`, w * 1_000 + i);
    });
    await Promise.all([...writers, first.journal.compact()]);
    await first.journal.compact();
    await first.put("after", 1);
    assert.ok(existsSync(join(dir, "snapshot.jsonl")));
    assert.ok(journalFiles(dir).length <= 2, journalFiles(dir).join(", "));
    const second = await openState(dir);
    assert.deepEqual(second.state, first.state);
    await first.journal.close();
    await second.journal.close();
  });

  it("ignores a snapshot a crash left unfinished, and the journals it would have replaced still count", async () => {
    const dir = freshDir();
    const first = await openState(dir);
    await first.put("a", 1);
    await first.journal.compact();
    await first.put("b", 2);
    await first.journal.close();
    writeFileSync(join(dir, "snapshot.jsonl.tmp"), '[{"snapshot":1,"journal":9}]\n[{"key":"zzz"');
    const second = await openState(dir);
    assert.deepEqual([...second.state.keys()].sort(), ["a", "b"]);
    assert.ok(!existsSync(join(dir, "snapshot.jsonl.tmp")));
    await second.journal.close();
  });

  it("refuses a snapshot cut short, rather than load part of the state", async () => {
    const dir = freshDir();
    const first = await openState(dir);
    await Promise.all(Array.from({ length: 10 }, (_, i) => first.put(`k${i}`, i)));
    await first.journal.compact();
    await first.journal.close();
    const path = join(dir, "snapshot.jsonl");
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    writeFileSync(path, lines.slice(0, -1).join("\n") + "\n");
    await assert.rejects(openState(dir), JournalCorruptError);
  });

  it("refuses every append after a failed sync (what reached the disk is unknown), and after close", async () => {
    const dir = freshDir();
    const { journal, put } = await openState(dir);
    await put("a", 1);
    const probe = await open(join(dir, "probe"), "w");
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = prototype.datasync;
    prototype.datasync = () => Promise.reject(Object.assign(new Error("EIO: i/o error"), { code: "EIO" }));
    try {
      await assert.rejects(put("b", 2), /EIO/);
    } finally {
      prototype.datasync = original;
    }
    await assert.rejects(put("c", 3), /EIO/);
    await journal.close();
    await assert.rejects(put("d", 4), /closed/);
    const reopened = await openState(dir);
    assert.ok(reopened.state.has("a"));
    await reopened.journal.close();
  });

  it("refuses a directory another running process holds, and takes over one a gone process left", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "LOCK"), String(process.ppid));
    await assert.rejects(openState(dir), new RegExp(`in use by process ${process.ppid}`));
    const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(join(dir, "LOCK"), String(gone));
    const { journal, put } = await openState(dir);
    await put("a", 1);
    assert.equal(readFileSync(join(dir, "LOCK"), "utf8"), String(process.pid));
    await journal.close();
    assert.ok(!existsSync(join(dir, "LOCK")));
  });
});
