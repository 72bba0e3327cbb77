import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { describe, it } from "node:test";
import sharp from "sharp";
import { decodeImage } from "../src/images/image-decoding.js";
import { IMAGE_WORK_SLOTS } from "../src/images/image-work.js";
import { encodeRendition } from "../src/images/rendition-worker.js";

const FORMATS = ["jpeg", "png", "webp", "gif", "avif"] as const;

async function picture(width: number, height: number, format: (typeof FORMATS)[number]): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#c33"/><stop offset="1" stop-color="#33c"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  return sharp(Buffer.from(svg))[format]().toBuffer();
}

const crc32 = (bytes: Buffer) => {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/** A PNG of a few kilobytes declaring `side` x `side` grey pixels: a zero row, compressed, repeated. */
function pngBomb(side: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc((side + 1) * Math.min(side, 2_000)), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", rows), chunk("IEND", Buffer.alloc(0))]);
}

describe("Image decoding", { timeout: 120_000 }, () => {
  it("takes a whole image of each format with its size, and refuses each one cut in half", async () => {
    for (const format of FORMATS) {
      const bytes = await picture(300, 200, format);
      assert.deepEqual(await decodeImage(bytes), { ok: true, width: 300, height: 200 }, format);
      assert.deepEqual(await decodeImage(bytes.subarray(0, Math.floor(bytes.length / 2))), { ok: false, reason: "UNDECODABLE" }, `${format} cut in half`);
    }
  });

  it("refuses a small file declaring 50,000 x 50,000 pixels before decoding it", async () => {
    const bomb = pngBomb(50_000);
    assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
    assert.deepEqual(await decodeImage(bomb), { ok: false, reason: "TOO_MANY_PIXELS" });
  });

  it(`decodes and encodes at most ${IMAGE_WORK_SLOTS} images at once however many uploads and renditions are under way`, async () => {
    const bytes = await picture(3_000, 3_000, "png");
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, sharp.counters().process);
    }, 1);
    try {
      const [outcomes, renditions] = await Promise.all([
        Promise.all(Array.from({ length: 6 }, () => decodeImage(bytes))),
        Promise.all(Array.from({ length: 6 }, () => encodeRendition(bytes, 1280, "webp"))),
      ]);
      for (const outcome of outcomes) assert.deepEqual(outcome, { ok: true, width: 3_000, height: 3_000 });
      for (const rendition of renditions) assert.equal((await sharp(rendition).metadata()).width, 1280);
    } finally {
      clearInterval(watch);
    }
    assert.ok(most >= 1, "the work was seen running");
    assert.ok(most <= IMAGE_WORK_SLOTS, `${most} ran at once`);
  });
});
