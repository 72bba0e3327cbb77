import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { createLogger, EmbeddedEventBus, EmbeddedObjectStore, newEvent, Topics, type ObjectStore, type StoredObjectInfo } from "#kernel";
import { waitFor } from "#kernel/testing";
import { startRenditionWorker } from "../src/images/rendition-worker.js";
import { originalKey, renditionKey, RENDITION_FORMATS } from "../src/images/image-renditions.js";
import type { ImageAttachedPayload } from "../src/images/image-events.js";

/** Counts the puts of each key, so a test sees what a worker made, not only what exists. */
class CountingStore implements ObjectStore {
  readonly engine: string;
  readonly puts = new Map<string, number>();
  constructor(private readonly inner: ObjectStore) {
    this.engine = inner.engine;
  }
  put(key: string, bytes: Buffer, options: { contentType: string }): Promise<StoredObjectInfo> {
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    return this.inner.put(key, bytes, options);
  }
  get = (key: string) => this.inner.get(key);
  head = (key: string) => this.inner.head(key);
  delete = (key: string) => this.inner.delete(key);
  list = (prefix: string) => this.inner.list(prefix);
  presignPut: ObjectStore["presignPut"] = (key, options) => this.inner.presignPut(key, options);
  close = () => this.inner.close();
}

describe("Renditions worker", { timeout: 60_000 }, () => {
  let dir: string;
  let objects: CountingStore;
  let bus: EmbeddedEventBus;
  const logger = createLogger("silent");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "renditions-"));
    objects = new CountingStore(new EmbeddedObjectStore({ dir, secret: "s", uploadBaseUrl: () => "http://127.0.0.1:9/uploads" }));
    bus = new EmbeddedEventBus();
  });
  after(async () => {
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function attachOriginal(width: number, height: number) {
    const png = await sharp({ create: { width, height, channels: 4, background: { r: 200, g: 60, b: 40, alpha: 0.6 } } }).png().toBuffer();
    const hash = createHash("sha256").update(png).digest("hex");
    const url = originalKey(hash, "png");
    await objects.put(url, png, { contentType: "image/png" });
    return { hash, url, payload: { productId: "prod_1", url, width, height } satisfies ImageAttachedPayload };
  }
  const renditionKeys = (hash: string, widths: number[]) => widths.flatMap((width) => RENDITION_FORMATS.map((format) => renditionKey(hash, width, format)));

  it("makes each rendition once and records the widths once when the same event is delivered twice", async () => {
    const recorded: number[][] = [];
    const handled: string[] = [];
    const worker = await startRenditionWorker({
      bus,
      objects,
      logger,
      group: "renditions-twice",
      products: { recordRenditions: async (_id, _url, widths) => void recorded.push(widths) },
      onHandled: (payload) => handled.push(payload.url),
    });
    const { hash, payload } = await attachOriginal(900, 600);
    const event = newEvent("ImageAttached", hash, payload);
    await bus.publish(Topics.imageAttached, [event]);
    await bus.publish(Topics.imageAttached, [event]);
    await waitFor("both deliveries are handled", () => handled.length === 2);
    await worker.stop();
    const keys = renditionKeys(hash, [320, 640, 900]);
    for (const key of keys) assert.equal(objects.puts.get(key), 1, `${key} made once`);
    assert.deepEqual((await objects.list(`renditions/${hash}`)).map((info) => info.key).sort(), [...keys].sort());
    assert.deepEqual(recorded, [[320, 640, 900], [320, 640, 900]], "recording the same widths again is harmless (the product is written only when they differ)");
    const webp = await objects.get(renditionKey(hash, 640, "webp"));
    const chunks: Buffer[] = [];
    for await (const chunk of webp!.body) chunks.push(chunk as Buffer);
    const metadata = await sharp(Buffer.concat(chunks)).metadata();
    assert.equal(metadata.format, "webp");
    assert.equal(metadata.width, 640);
    assert.equal(metadata.height, 427);
    const jpeg = await objects.head(renditionKey(hash, 320, "jpeg"));
    assert.equal(jpeg?.contentType, "image/jpeg");
  });

  it("leaves one object per rendition when two workers handle the same event at once", async () => {
    const handled: string[] = [];
    const start = (group: string) =>
      startRenditionWorker({ bus, objects, logger, group, products: { recordRenditions: async () => {} }, onHandled: (payload) => handled.push(payload.url) });
    const workers = await Promise.all([start("renditions-a"), start("renditions-b")]);
    const { hash, payload } = await attachOriginal(2000, 500);
    await bus.publish(Topics.imageAttached, [newEvent("ImageAttached", hash, payload)]);
    await waitFor("both workers handled it", () => handled.filter((url) => url === payload.url).length === 2);
    await Promise.all(workers.map((worker) => worker.stop()));
    const keys = renditionKeys(hash, [320, 640, 1280]);
    const stored = await objects.list(`renditions/${hash}`);
    assert.deepEqual(stored.map((info) => info.key).sort(), [...keys].sort(), "nine objects, no strays");
    for (const info of stored) {
      const object = await objects.get(info.key);
      const chunks: Buffer[] = [];
      for await (const chunk of object!.body) chunks.push(chunk as Buffer);
      const width = Number(/-w(\d+)\./.exec(info.key)![1]);
      assert.equal((await sharp(Buffer.concat(chunks)).metadata()).width, width, `${info.key} is whole`);
      assert.ok((objects.puts.get(info.key) ?? 0) <= 2, "at most one put per worker");
    }
  });

  it("skips an event whose original is gone, and one naming no uploaded original", async () => {
    const handled: string[] = [];
    const recorded: string[] = [];
    // A bus of its own: the group starts at the earliest event, and earlier tests' events are not this test's.
    const bus = new EmbeddedEventBus();
    const worker = await startRenditionWorker({
      bus,
      objects,
      logger,
      group: "renditions-gone",
      products: { recordRenditions: async (_id, url) => void recorded.push(url) },
      onHandled: (payload) => handled.push(payload.url),
    });
    const gone = originalKey("f".repeat(64), "png");
    await bus.publish(Topics.imageAttached, [
      newEvent("ImageAttached", "f".repeat(64), { productId: "prod_1", url: gone, width: 500, height: 500 }),
      newEvent("ImageAttached", "x", { productId: "prod_1", url: "../../etc/passwd", width: 500, height: 500 }),
    ]);
    const { hash, payload } = await attachOriginal(100, 100);
    await bus.publish(Topics.imageAttached, [newEvent("ImageAttached", hash, payload)]);
    await waitFor("the valid event after them is handled", () => handled.includes(payload.url));
    await worker.stop();
    await bus.close();
    assert.deepEqual(recorded, [payload.url]);
    assert.deepEqual(await objects.list(`renditions/${"f".repeat(64)}`), []);
  });
});
