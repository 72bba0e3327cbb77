// Product image work on this machine, in this process: what an upload, its renditions and a
// demo placeholder cost in CPU, and how long an upload takes to get its renditions through the
// real path (object store, ImageAttached on the bus, the renditions worker, the catalog write).
//
//   nice -n 10 npx tsx bench/image-processing.ts [--rounds 5]
//
// With S3_URL (and its keys) set the objects go to that server (a fresh bucket), else to a
// temporary folder; the bus and the catalog are the embedded ones, so the figure is the image
// path itself. The "photo" is 3000 x 2000 pixels of noise (the hardest case for every encoder).
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { createLogger, EmbeddedEventBus, EmbeddedObjectStore, newEvent, Topics, type ObjectStore } from "#kernel";
import { S3ObjectStore } from "#kernel/adapters.ts";
import { drawPlaceholder } from "../subgraphs/products/src/images/demo-placeholders.js";
import { decodeImage } from "../subgraphs/products/src/images/image-decoding.js";
import { originalKey, RENDITION_FORMATS, RENDITION_WIDTHS } from "../subgraphs/products/src/images/image-renditions.js";
import { encodeRendition, startRenditionWorker } from "../subgraphs/products/src/images/rendition-worker.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const rounds = Number(args.rounds);

async function median(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}
const ms = (value: number) => `${value.toFixed(0)} ms`;

const photo = await sharp({ create: { width: 3000, height: 2000, channels: 3 as const, background: { r: 128, g: 128, b: 128 }, noise: { type: "gaussian" as const, mean: 128, sigma: 40 } } }).jpeg({ quality: 85 }).toBuffer();
console.log(`| what | median of ${rounds} |`);
console.log("| --- | ---: |");
console.log(`| demo placeholder (800 x 800 JPEG from an SVG) | ${ms(await median(() => drawPlaceholder("Atlas & Quill The Last Novel", "view 1", undefined)))} |`);
console.log(`| attach check: full decode of the ${(photo.length / 1e6).toFixed(1)} MB photo | ${ms(await median(() => decodeImage(photo)))} |`);
for (const format of RENDITION_FORMATS) {
  for (const width of RENDITION_WIDTHS) console.log(`| rendition ${width} px ${format} | ${ms(await median(() => encodeRendition(photo, width, format)))} |`);
}

const s3 = process.env.S3_URL;
const dir = s3 ? undefined : await mkdtemp(join(tmpdir(), "bench-images-"));
let objects: ObjectStore;
if (s3) {
  const store = new S3ObjectStore({ url: s3, accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "", secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "", bucket: `bench-images-${Date.now().toString(36)}`, region: "us-east-1" });
  await store.connect();
  objects = store;
} else {
  objects = new EmbeddedObjectStore({ dir: dir!, secret: "bench", uploadBaseUrl: () => "http://127.0.0.1:9/uploads" });
}
const bus = new EmbeddedEventBus();
const done = new Map<string, () => void>();
const worker = await startRenditionWorker({ bus, objects, logger: createLogger("silent"), products: { recordRenditions: async (_id, url) => done.get(url)?.() } });
const latencies: number[] = [];
for (let i = 0; i < rounds; i++) {
  // A different picture each round, so no rendition exists yet.
  const bytes = await sharp(photo).modulate({ brightness: 1 + i / 100 }).jpeg({ quality: 85 }).toBuffer();
  const hash = createHash("sha256").update(bytes).digest("hex");
  const url = originalKey(hash, "jpg");
  const started = performance.now();
  await objects.put(url, bytes, { contentType: "image/jpeg" });
  const finished = new Promise<void>((resolve) => done.set(url, resolve));
  await bus.publish(Topics.imageAttached, [newEvent("ImageAttached", hash, { productId: "prod_bench", url, width: 3000, height: 2000 })]);
  await finished;
  latencies.push(performance.now() - started);
}
await worker.stop();
await bus.close();
await objects.close();
if (dir) await rm(dir, { recursive: true, force: true });
latencies.sort((a, b) => a - b);
console.log(`| original stored to 9 renditions recorded (${objects.engine}), median / worst of ${rounds} | ${ms(latencies[Math.floor(rounds / 2)]!)} / ${ms(latencies.at(-1)!)} |`);
