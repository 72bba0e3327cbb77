// What keeping the zero-setup mode's catalog and event log on disk costs: bulk load, single
// writes (one writer, and many at once: group commit), and the load time at start, from the
// journal alone and from a snapshot. Run: nice -n 10 npx tsx bench/embedded-persistence.bench.ts [10000 100000]
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedEventBus, newEvent } from "#kernel";
import { EmbeddedProductStore } from "../subgraphs/products/src/adapters/embedded-product-store.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const mb = (dir: string) => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0) / 1e6;
const rows: string[] = [];

for (const count of sizes.length ? sizes : [10_000, 100_000]) {
  const dir = mkdtempSync(join(tmpdir(), "persistence-bench-"));
  try {
    // No snapshot while loading: the first reopen reads the journal alone.
    const store = await EmbeddedProductStore.open(dir, { compactAfter: Number.MAX_SAFE_INTEGER });
    const products = [...generateCatalog({ count })].map((g) => g.product);
    // The same load into the store without a journal: what the journal adds is the difference.
    const memory = new EmbeddedProductStore();
    let started = process.hrtime.bigint();
    for (let i = 0; i < products.length; i += 500) await memory.insertMany(products.slice(i, i + 500));
    const memoryLoadMs = ms(started);
    await memory.close();

    started = process.hrtime.bigint();
    for (let i = 0; i < products.length; i += 500) await store.insertMany(products.slice(i, i + 500));
    const loadMs = ms(started);

    started = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) await store.update(products[i]!.id, { name: `Renamed ${i}` }, new Date());
    const serialMs = ms(started);

    started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 64 }, async (_, w) => {
      for (let i = 0; i < 50; i++) await store.update(products[(w * 50 + i) % count]!.id, { name: `Writer ${w} ${i}` }, new Date());
    }));
    const concurrentMs = ms(started);
    await store.close();
    const journalMb = mb(dir);

    started = process.hrtime.bigint();
    const fromJournal = await EmbeddedProductStore.open(dir);
    const openJournalMs = ms(started);
    if ((await fromJournal.count({})) !== count) throw new Error("catalog incomplete after reopening");
    started = process.hrtime.bigint();
    await fromJournal.compact();
    const compactMs = ms(started);
    await fromJournal.close();
    const snapshotMb = mb(dir);

    started = process.hrtime.bigint();
    const fromSnapshot = await EmbeddedProductStore.open(dir);
    const openSnapshotMs = ms(started);
    await fromSnapshot.close();

    rows.push(
      `| ${count.toLocaleString("en")} | ${Math.round(memoryLoadMs)} ms | ${Math.round(loadMs)} ms (${Math.round(count / (loadMs / 1000)).toLocaleString("en")}/s) | ${(serialMs / 200).toFixed(2)} ms (${Math.round(200 / (serialMs / 1000))}/s) | ${Math.round(3200 / (concurrentMs / 1000)).toLocaleString("en")}/s | ${Math.round(openJournalMs)} ms (${journalMb.toFixed(0)} MB) | ${Math.round(compactMs)} ms | ${Math.round(openSnapshotMs)} ms (${snapshotMb.toFixed(0)} MB) |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The event bus: what publish costs once it returns only with its events on disk.
const busDir = mkdtempSync(join(tmpdir(), "persistence-bench-bus-"));
try {
  const bus = await EmbeddedEventBus.open(busDir);
  let started = process.hrtime.bigint();
  for (let i = 0; i < 500; i++) await bus.publish("bench", [newEvent("bench.tested", `k${i}`, { i })]);
  const serialMs = ms(started);
  started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 64 }, async (_, w) => {
    for (let i = 0; i < 100; i++) await bus.publish("bench", [newEvent("bench.tested", `k${w}`, { i })]);
  }));
  const concurrentMs = ms(started);
  await bus.close();
  const memory = new EmbeddedEventBus();
  started = process.hrtime.bigint();
  for (let i = 0; i < 500; i++) await memory.publish("bench", [newEvent("bench.tested", `k${i}`, { i })]);
  const memoryMs = ms(started);
  await memory.close();
  rows.push("", `Event bus publish: one publisher ${(serialMs / 500).toFixed(2)} ms each (${Math.round(500 / (serialMs / 1000))}/s; in memory ${(memoryMs / 500).toFixed(3)} ms); 64 publishers ${Math.round(6400 / (concurrentMs / 1000)).toLocaleString("en")}/s.`);
} finally {
  rmSync(busDir, { recursive: true, force: true });
}

console.log("| products | bulk load in memory | bulk load journaled (insertMany of 500) | one writer, per update | 64 writers, updates | open from journal | compaction | open from snapshot |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
