import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { startProductsApi, type ProductsApiRig } from "./products-api-rig.js";
import { generateCatalog } from "../../src/catalog/generate-catalog.js";

/** A raw request, so paths reach the server exactly as written (fetch would resolve `..`). */
function raw(url: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Image origin route", { timeout: 60_000 }, () => {
  let rig: ProductsApiRig;
  let origin: string;
  const demo = [...generateCatalog({ count: 3 })].map((generated) => generated.product);

  before(async () => {
    rig = await startProductsApi();
    origin = rig.products.url.replace(/\/graphql$/, "");
    await rig.products.store.insertMany(demo);
    await rig.products.images.objects.put("originals/" + "a".repeat(64) + ".png", await sharp({ create: { width: 8, height: 8, channels: 3, background: "#123456" } }).png().toBuffer(), { contentType: "image/png" });
    await rig.products.images.objects.put("uploads/0123456789abcdef0123456789abcdef", Buffer.from("<html>unchecked</html>"), { contentType: "image/png" });
  });
  after(async () => {
    await rig?.close();
  });

  it("serves an object with its type, length, a strong ETag and a year of immutable caching", async () => {
    const response = await raw(origin, `/images/originals/${"a".repeat(64)}.png`);
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-type"], "image/png");
    assert.equal(Number(response.headers["content-length"]), response.body.length);
    assert.equal(response.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.match(String(response.headers.etag), /^"[^"]+"$/);
    assert.equal((await sharp(response.body).metadata()).width, 8);
  });

  it("answers 304 to If-None-Match with the ETag (alone, in a list, weak or *), 200 to another tag, and HEAD without a body", async () => {
    const path = `/images/originals/${"a".repeat(64)}.png`;
    const etag = String((await raw(origin, path)).headers.etag);
    for (const tag of [etag, `"other", ${etag}`, `W/${etag}`, "*"]) {
      const response = await raw(origin, path, { headers: { "if-none-match": tag } });
      assert.equal(response.status, 304, tag);
      assert.equal(response.body.length, 0);
      assert.equal(response.headers.etag, etag);
      assert.equal(response.headers["cache-control"], "public, max-age=31536000, immutable");
    }
    assert.equal((await raw(origin, path, { headers: { "if-none-match": '"stale"' } })).status, 200);
    const head = await raw(origin, path, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers.etag, etag);
  });

  it("draws a demo product's placeholder on first request, keeps it, and serves the same bytes after", async () => {
    const product = demo[0]!;
    const path = `/images/${product.images[0]!.url}`;
    const first = await raw(origin, path);
    assert.equal(first.status, 200);
    assert.equal(first.headers["content-type"], "image/jpeg");
    const metadata = await sharp(first.body).metadata();
    assert.equal(metadata.format, "jpeg");
    assert.equal(metadata.width, 800);
    assert.ok(await rig.products.images.objects.head(product.images[0]!.url), "kept in the store");
    const second = await raw(origin, path);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.etag, first.headers.etag);
  });

  it("draws placeholders only for paths a live product shows", async () => {
    const product = demo[1]!;
    const sku = product.sku.toLowerCase();
    for (const path of [`products/${sku}/99.jpg`, `products/${sku.replace(/\d$/, "9")}/1.jpg`, "products/ele-0000999/1.jpg"]) {
      assert.equal((await raw(origin, `/images/${path}`)).status, 404, path);
      assert.equal(await rig.products.images.objects.head(path), null, `${path} not stored`);
    }
  });

  it("refuses traversal and hostile keys, never serves raw uploads, and answers 404 for unknown keys", async () => {
    const cases: [string, number][] = [
      ["/images/../package.json", 400],
      ["/images/products/../../../etc/passwd", 400],
      ["/images/%2e%2e/%2e%2e/etc/passwd", 400],
      ["/images/originals%2f..%2f..%2fsecret", 400],
      ["/images/originals/a%00b.png", 400],
      ["/images//etc/passwd", 400],
      ["/images/originals/x\\..\\y", 400],
      [`/images/${"a/".repeat(300)}b`, 400],
      ["/images/uploads/0123456789abcdef0123456789abcdef", 404],
      ["/images/originals/missing.png", 404],
      ["/images/.env", 400],
      ["/images/", 400],
    ];
    for (const [path, status] of cases) {
      const response = await raw(origin, path);
      assert.equal(response.status, status, path);
      assert.doesNotMatch(response.body.toString(), /unchecked|root:/, path);
    }
    for (const method of ["POST", "PUT", "DELETE"]) assert.equal((await raw(origin, `/images/originals/${"a".repeat(64)}.png`, { method })).status, 405, method);
  });
});
